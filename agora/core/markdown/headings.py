"""Heading ids (slugs that keep CJK and other letters) and the ``#`` link to each heading."""

import re
import unicodedata

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MAX_SLUG_LENGTH = 80
_NOT_SLUG = re.compile(r"[^\w\s-]")
_SEPARATORS = re.compile(r"[\s-]+")


def slugify(title: str) -> str:
    """``"扩散模型 Intro: DDPM!"`` -> ``"扩散模型-intro-ddpm"``; ``"section"`` if nothing is left.

    Letters of any script survive, so Chinese headings get readable ids.
    """
    text = unicodedata.normalize("NFKC", title).lower()
    slug = _SEPARATORS.sub("-", _NOT_SLUG.sub("", text)).strip("-")[:MAX_SLUG_LENGTH].strip("-")
    return slug or "section"


def _anchors_rule(state: StateCore) -> None:
    used: set[str] = set()
    next_suffix: dict[str, int] = {}  # so a thousand "# Notes" are not a quadratic search
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        children = inline.children if inline.children is not None else []
        title = "".join(c.content for c in children if c.type in ("text", "code_inline"))
        slug = base = slugify(title)
        suffix = next_suffix.get(base, 1)
        while slug in used:
            slug = f"{base}-{suffix}"
            suffix += 1
        next_suffix[base] = suffix
        used.add(slug)
        token.attrSet("id", slug)
        link_open = Token("link_open", "a", 1, attrs={"href": f"#{slug}"})
        link_open.attrSet("class", "header-anchor")
        children += [
            Token("text", "", 0, content=" "),
            link_open,
            Token("text", "", 0, content="#"),
            Token("link_close", "a", -1),
        ]
        inline.children = children


def heading_anchors_plugin(md: MarkdownIt) -> None:
    md.core.ruler.push("heading_anchors", _anchors_rule)
