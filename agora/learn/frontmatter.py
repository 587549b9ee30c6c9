"""Markdown files with a front-matter block: `---`, `key: value` lines, `---`, then the body.
A deliberately small parser (no YAML): unknown keys and malformed lines are errors."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

KNOWN_KEYS = {"title", "summary", "difficulty", "language", "area", "series", "part", "tags"}


def parse(text: str) -> tuple[dict[str, str], str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end == -1:
        raise ValidationError(
            _("The front matter is not closed with a line of three dashes (---).")
        )
    meta: dict[str, str] = {}
    for number, line in enumerate(text[4:end].split("\n"), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if not sep or key not in KNOWN_KEYS:
            raise ValidationError(
                _("Line %(n)d of the front matter is not understood: “%(line)s”.")
                % {"n": number, "line": line.strip()[:80]}
            )
        meta[key] = value.strip().strip("'\"")
    body = text[end + 4 :].lstrip("\n")
    return meta, body
