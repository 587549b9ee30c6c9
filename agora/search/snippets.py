"""Excerpts around the first match with the matched words marked. Stored text is never trusted
as HTML: it is escaped piece by piece and only our <mark> tags are added."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from agora.search import segment
from agora.search.query import ParsedQuery

WIDTH = 220


def _pattern(query: ParsedQuery) -> re.Pattern[str] | None:
    alternatives = []
    for word in sorted(set(query.words), key=len, reverse=True):
        if segment.is_han(word):
            alternatives.append(re.escape(word))
        else:  # a Latin word and, as it was searched, the rest of the word it starts
            alternatives.append(rf"(?<![^\W_]){re.escape(word)}[^\W_]*")
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def highlight(text: str, query: ParsedQuery, *, width: int = WIDTH) -> SafeString:
    """``width`` characters of ``text`` around the first match, escaped, matches in <mark>."""
    text = " ".join(text.split())
    pattern = _pattern(query)
    first = pattern.search(text) if pattern else None
    start = 0
    if first is not None and first.start() > width // 3:
        start = first.start() - width // 3
    window = text[start : start + width]
    parts = ["…" if start else ""]
    position = 0
    for match in pattern.finditer(window) if pattern else []:
        parts.append(escape(window[position : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    parts.append(escape(window[position:]))
    if start + width < len(text):
        parts.append("…")
    # "赛博朋克" is cut into three words: one mark reads better than three side by side
    return mark_safe("".join(parts).replace("</mark><mark>", ""))  # every piece above is escaped
