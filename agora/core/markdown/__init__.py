"""Markdown for everything users write: CommonMark + GFM, math, code, mentions; always safe HTML.

``render`` runs when a post is saved and its result is stored, so it must accept any text:
markdown-it never sees raw HTML (``html=False`` shows it as text), and the output passes an
allow-list sanitizer whatever the plugins produced.
"""

import hashlib
import logging

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from mdit_py_plugins.gfm import gfm_plugin

from .code import render_fence
from .headings import heading_anchors_plugin
from .mathml import math_plugin
from .mentions import mentioned_names, mentions_plugin
from .plain_text import to_plain_text
from .sanitize import sanitize

__all__ = ["extract_mentions", "render", "to_plain_text"]

logger = logging.getLogger(__name__)


def _table_alignment_rule(state: StateCore) -> None:
    """``style="text-align:right"`` would be stripped with every other style; ``align`` is not."""
    for token in state.tokens:
        if token.type in ("th_open", "td_open") and (style := token.attrGet("style")):
            token.attrs.pop("style")
            token.attrSet("align", str(style).removeprefix("text-align:"))


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False})
    md.use(gfm_plugin)  # tables, strikethrough, task lists, alerts, autolinks, footnotes
    md.use(math_plugin)
    md.use(mentions_plugin)
    md.use(heading_anchors_plugin)
    md.core.ruler.push("table_alignment", _table_alignment_rule)
    md.add_render_rule("fence", render_fence)
    return md


_PARSER = _build_parser()


def render(text: str) -> str:
    """Return sanitized HTML for the Markdown ``text``; never raises."""
    # Footnote ids carry a digest of the text, so two posts on one page do not share "fn-1".
    env = {"docId": hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}
    try:
        html = _PARSER.render(text, env)
    except Exception:
        # A parser bug must not lose the post: log it and show the text as written.
        logger.exception("markdown rendering failed", extra={"text_length": len(text)})
        html = f"<pre>{escapeHtml(text)}</pre>"
    return sanitize(html)


def extract_mentions(text: str) -> list[str]:
    """Names ``@mentioned`` in ``text`` (not in code or links), unique, in order."""
    try:
        return mentioned_names(_PARSER.parse(text))
    except Exception:
        logger.exception("markdown parsing failed", extra={"text_length": len(text)})
        return []
