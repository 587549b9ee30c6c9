"""Fenced code: Pygments highlighting with CSS classes; Mermaid diagrams left to the browser."""

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

# Classes only (the colours live in agora/static/agora/css/highlight.css); nowrap because
# the fence rule writes the <pre><code> itself.
_FORMATTER = HtmlFormatter(nowrap=True)
# Pygments lexes ~250 characters per millisecond; past this many characters in one post the
# remaining code is shown plain, so a huge paste cannot tie up the request.
HIGHLIGHT_BUDGET_CHARS = 30_000

TOKEN_CLASSES: frozenset[str] = frozenset(name for name in STANDARD_TYPES.values() if name)
LANGUAGE_CLASSES: frozenset[str] = frozenset(
    f"language-{aliases[0]}" for _, aliases, _, _ in get_all_lexers() if aliases
)


@lru_cache(maxsize=256)
def _lexer_for(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None


def render_fence(
    _renderer: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, env: EnvType
) -> str:
    """Render rule for ``fence`` tokens: Mermaid source, highlighted code, or plain code."""
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    language = info.split(maxsplit=1)[0].lower() if info else ""
    code = token.content
    if language == "widget":
        from .widgets import render_widget

        return render_widget(info, code)
    if language == "mermaid":
        # Drawn in the browser from the element's text, so it stays escaped text here.
        return f'<pre class="mermaid">{escapeHtml(code)}</pre>\n'
    spent = env.get("highlighted_chars", 0)
    lexer = _lexer_for(language) if language else None
    if lexer is None or spent + len(code) > HIGHLIGHT_BUDGET_CHARS:
        return f"<pre><code>{escapeHtml(code)}</code></pre>\n"
    env["highlighted_chars"] = spent + len(code)
    return (
        f'<pre class="highlight"><code class="language-{lexer.aliases[0]}">'
        f"{highlight(code, lexer, _FORMATTER)}</code></pre>\n"
    )
