"""Lesson widgets placed in Markdown with a fenced block:

    ```widget forward-process
    image: digit-3
    t: 250
    ```

The block becomes a figure (the cached image of that state, with a link to open it); an article
page makes it interactive (agora/learn/widget_markup.py). Which kinds and settings exist is the
Learn app's business: it registers a `resolve` function here, so core does not import it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markdown_it.common.utils import escapeHtml


@dataclass(frozen=True)
class Placed:
    kind: str
    query: str  # the full state as a query string
    title: str
    figure_url: str
    page_url: str


class WidgetError(ValueError):
    pass


_resolver: Callable[[str, dict[str, str]], Placed] | None = None


def register_resolver(resolve: Callable[[str, dict[str, str]], Placed]) -> None:
    """`resolve(kind, settings)` returns the Placed widget or raises WidgetError(message)."""
    global _resolver
    _resolver = resolve


def parse_settings(text: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise WidgetError(f"“{line.strip()[:60]}” is not a “name: value” line")
        settings[key.strip()] = value.strip()
    return settings


def render_widget(info: str, content: str) -> str:
    parts = info.split()
    kind = parts[1] if len(parts) > 1 else ""
    try:
        if _resolver is None:
            raise WidgetError("no widgets are installed")
        placed = _resolver(kind, parse_settings(content))
    except WidgetError as exc:
        return (
            f'<div class="widget-error"><p>{escapeHtml(str(exc))}</p>'
            f"<pre><code>{escapeHtml(info)}\n{escapeHtml(content)}</code></pre></div>\n"
        )
    return (
        f'<div class="widget" data-widget="{escapeHtml(placed.kind)}" '
        f'data-state="{escapeHtml(placed.query)}">'
        f'<p><img src="{escapeHtml(placed.figure_url)}" alt="{escapeHtml(placed.title)}"></p>'
        f'<p><a href="{escapeHtml(placed.page_url)}">{escapeHtml(placed.title)}</a></p></div>\n'
    )
