"""Widgets in rendered Markdown: the resolver the Markdown extension asks (which kinds and
settings exist, their URLs), and reading the placed widgets back out of stored HTML, so an
article page can make each one interactive while a forum post shows its cached figure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import parse_qsl

from django.urls import reverse

from agora.core.markdown.widgets import Placed, WidgetError
from agora.learn import widgets

# What agora/core/markdown/widgets.py writes (after the sanitizer, which keeps it as it is).
PLACED_RE = re.compile(
    r'<div class="widget" data-widget="([a-z0-9-]+)" data-state="([^"]*)">.*?</div>', re.DOTALL
)


def resolve(kind: str, settings: dict[str, str]) -> Placed:
    try:
        widget = widgets.get(kind)
        state = widget.parse(settings)
    except widgets.WidgetInputError as exc:
        raise WidgetError(str(exc)) from exc
    query = widget.query(state)
    return Placed(
        kind=kind,
        query=query,
        title=str(widget.title),
        figure_url=reverse("learn:widget_figure", kwargs={"kind": kind}) + "?" + query,
        page_url=reverse("learn:widget", kwargs={"kind": kind}) + "?" + query,
    )


def _state(kind: str, query: str) -> dict[str, Any] | None:
    try:
        return widgets.get(kind).parse(dict(parse_qsl(unescape(query))))
    except widgets.WidgetInputError:
        return None  # a kind or setting removed since the text was rendered


def placed_widgets(html: str) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kind, query in PLACED_RE.findall(html):
        state = _state(kind, query)
        if state is not None:
            found.append((kind, state))
    return found


@dataclass
class Segment:
    html: str = ""
    kind: str = ""
    state: dict[str, Any] | None = None
    index: int = 0
    context: dict[str, Any] | None = None


def split_body(html: str) -> list[Segment]:
    """The article's HTML cut around its widgets: text segments and widget segments."""
    segments: list[Segment] = []
    position, index = 0, 0
    for match in PLACED_RE.finditer(html):
        state = _state(match.group(1), match.group(2))
        if state is None:
            continue
        segments.append(Segment(html=html[position : match.start()]))
        index += 1
        segments.append(Segment(kind=match.group(1), state=state, index=index))
        position = match.end()
    segments.append(Segment(html=html[position:]))
    return segments
