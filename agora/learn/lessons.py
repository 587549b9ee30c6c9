"""The lessons of the series "Generative models, hands-on" (English) and "动手学生成模型"
(Chinese): ordinary articles whose Markdown places widgets (```widget kind ... ```). Their text
lives in lesson_texts/ as Markdown files with front matter, the same files an author imports
on /learn/write/ (docs/lessons.md); demo.py seeds them. Staff edit them like any article."""

from __future__ import annotations

from pathlib import Path

SERIES = {"en": "Generative models, hands-on", "zh-hans": "动手学生成模型"}
TEXTS = Path(__file__).parent / "lesson_texts"


def lesson_files() -> list[Path]:
    return sorted(TEXTS.glob("*.md"))


def seed_lessons(*, author) -> int:
    """Create the lessons that are missing (one article per language and part)."""
    from agora.learn import frontmatter, services
    from agora.learn.models import Article

    created = 0
    for path in lesson_files():
        meta, body = frontmatter.parse(path.read_text(encoding="utf-8"))
        part = int(meta["part"])
        if Article.objects.filter(series__title=meta["series"], series_part=part).exists():
            continue
        services.create_article(
            author=author,
            title=meta["title"],
            summary=meta["summary"],
            body=body,
            difficulty=meta["difficulty"],
            language=meta["language"],
            area=meta["area"],
            series=meta["series"],
            part=part,
        )
        created += 1
    return created
