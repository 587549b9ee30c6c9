"""Writes of articles: create (or import from a Markdown file), edit with revisions."""

from __future__ import annotations

import re
from html import unescape

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.limits import length_errors, max_length
from agora.core.markdown import render
from agora.learn import frontmatter, permissions
from agora.learn.models import Article, ArticleRevision, Series

HEADING_RE = re.compile(r'<h([2-4]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
MAX_IMPORT_BYTES = 500_000
MAX_SERIES_PART = 1000


def table_of_contents(html: str) -> list[list]:
    toc = []
    for level, anchor, inner in HEADING_RE.findall(html):
        text = unescape(strip_tags(inner)).strip().rstrip("#").strip()
        toc.append([int(level), anchor, text])
    return toc


def _unique_slug(title: str) -> str:
    base = slugify(title, allow_unicode=True)[:200] or "article"
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _validate(
    *, title: str, body: str, difficulty: str, language: str, area: str, summary: str = ""
) -> dict[str, str]:
    from django.conf import settings

    errors = length_errors(Article, title=title.strip(), body=body, summary=summary.strip())
    if len(title.strip()) < 5:
        errors["title"] = _("The title needs at least 5 characters.")
    if len(body.strip()) < 20:
        errors["body"] = _("An article needs at least 20 characters.")
    if difficulty not in Article.Difficulty.values:
        errors["difficulty"] = _("Choose beginner, intermediate or advanced.")
    if language not in dict(settings.LANGUAGES):
        errors["language"] = _("Unknown language code: %(code)s") % {"code": language[:20]}
    if area not in Article.Area.values:
        errors["area"] = _("Choose the area the article belongs to.")
    return errors


@transaction.atomic
def create_article(
    *,
    author: User,
    title: str,
    body: str,
    difficulty: str,
    language: str,
    area: str,
    summary: str = "",
    series: str = "",
    part: int | None = None,
    coauthors: list[User] | None = None,
) -> Article:
    if not permissions.can_write_article(author):
        raise PermissionDenied(_("You may not publish articles."))
    errors = _validate(
        title=title,
        body=body,
        difficulty=difficulty,
        language=language,
        area=area,
        summary=summary,
    )
    series_obj = None
    if len(series.strip()) > max_length(Series, "title"):
        errors |= {"series": length_errors(Series, title=series.strip())["title"]}
    elif series.strip():
        series_obj, _created = Series.objects.get_or_create(
            title=series.strip(),
            defaults={"slug": slugify(series, allow_unicode=True)[:200] or "series"},
        )
        if part is None or not 1 <= part <= MAX_SERIES_PART:
            errors["part"] = _("Give the part number within the series (1, 2, 3 ...).")
        elif Article.objects.filter(series=series_obj, series_part=part).exists():
            errors["part"] = _("Part %(n)d of this series already exists.") % {"n": part}
    if errors:
        raise ValidationError(errors)
    html = render(body)
    article = Article.objects.create(
        title=title.strip(),
        slug=_unique_slug(title),
        summary=summary.strip(),
        body=body,
        body_html=html,
        toc=table_of_contents(html),
        difficulty=difficulty,
        language=language,
        area=area,
        series=series_obj,
        series_part=part if series_obj else None,
    )
    article.authors.set([author, *(coauthors or [])])
    declare_widgets(user=author, html=html)
    article.topic = _open_discussion(article, author)
    article.save(update_fields=["topic"])
    return article


def import_article(*, author: User, upload) -> Article:
    """Publish a Markdown file; its front matter gives title, difficulty, language, area..."""
    if upload.size > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is too large (at most 500 KB)."))
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text.")) from exc
    meta, body = frontmatter.parse(text)
    title = meta.get("title") or _first_heading(body)
    if not title:
        raise ValidationError(
            _("Give the article a title in the front matter or as a first # heading.")
        )
    part = meta.get("part")
    try:
        part_number = int(part) if part else None
    except ValueError as exc:
        raise ValidationError(_("“part” must be a number.")) from exc
    return create_article(
        author=author,
        title=title,
        body=body,
        summary=meta.get("summary", ""),
        difficulty=meta.get("difficulty", "beginner"),
        language=meta.get("language", "en"),
        area=meta.get("area", "tooling"),
        series=meta.get("series", ""),
        part=part_number,
    )


def declare_widgets(*, user: User, html: str) -> None:
    from agora.learn.widget_services import declare

    declare(user=user, html=html)


def _first_heading(body: str) -> str:
    match = re.search(r"^#\s+(.+)$", body, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _open_discussion(article: Article, author: User):
    from agora.forum.services import open_discussion

    link = f"[{_('Read the article')}]({article.get_absolute_url()})"
    raw = f"{article.summary or article.title}\n\n{link}"
    return open_discussion(author=author, category_slug="tutorials", title=article.title, raw=raw)


@transaction.atomic
def edit_article(*, editor: User, article: Article, body: str, title: str, summary: str) -> Article:
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not permissions.can_edit_article(editor, article):
        raise PermissionDenied(_("Only the authors or staff can edit this article."))
    errors = _validate(
        title=title,
        body=body,
        difficulty=article.difficulty,
        language=article.language,
        area=article.area,
        summary=summary,
    )
    if errors:
        raise ValidationError(errors)
    if body != article.body:
        number = article.revision_count + 1
        ArticleRevision.objects.create(
            article=article, number=number, editor=editor, body_before=article.body, body_after=body
        )
        article.revision_count = number
    html = render(body)
    article.title, article.summary, article.body = title.strip(), summary.strip(), body
    article.body_html, article.toc = html, table_of_contents(html)
    article.save()
    declare_widgets(user=editor, html=html)
    return article
