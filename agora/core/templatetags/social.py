"""Absolute addresses for link previews (OpenGraph, Twitter cards) from AGORA_SITE_URL."""

from __future__ import annotations

from html import unescape

from django import template
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.text import Truncator

register = template.Library()


@register.filter
def absolute(value: str) -> str:
    """A site path made absolute with AGORA_SITE_URL; an absolute address is kept."""
    text = str(value or "")
    if text.startswith(("http://", "https://")):
        return text
    return f"{settings.AGORA_SITE_URL}/{text.lstrip('/')}"


@register.filter
def summary(html: str, length: int = 200) -> str:
    """The plain text of rendered HTML on one line, cut at `length` characters."""
    text = " ".join(strip_tags(str(html or "")).split())
    return Truncator(unescape(text)).chars(length)
