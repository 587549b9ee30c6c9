"""``@name`` mentions: linked to the profile in rendered text, and listed for notifications."""

import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

MIN_NAME_LENGTH = 3
MAX_NAME_LENGTH = 150
# The look-behind keeps the local part of ``someone@example.com`` and ``/@path`` from counting.
_MENTION = re.compile(r"(?<![A-Za-z0-9_.+\-@/])@([A-Za-z0-9_.\-]+)")


def find_mentions(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, name)`` for each mention in plain ``text``."""
    for match in _MENTION.finditer(text):
        if text.startswith("@", match.end()):
            continue  # ``@alice@example.social`` is a handle elsewhere, not ours
        name = match.group(1).rstrip(".")  # a full stop ends the sentence, not the name
        if MIN_NAME_LENGTH <= len(name) <= MAX_NAME_LENGTH:
            yield match.start(), match.start() + 1 + len(name), name


def profile_url(name: str) -> str:
    return f"/u/{name}/"


def _link_mentions(text_token: Token) -> list[Token] | None:
    """Split one text token around its mentions, or None when it has none."""
    text = text_token.content
    pieces: list[Token] = []
    position = 0
    for start, end, name in find_mentions(text):
        if start > position:
            pieces.append(Token("text", "", 0, content=text[position:start]))
        link_open = Token("link_open", "a", 1, attrs={"href": profile_url(name)})
        link_open.attrSet("class", "mention")
        link_open.meta["mention"] = name
        pieces += [link_open, Token("text", "", 0, content=text[start:end])]
        pieces.append(Token("link_close", "a", -1))
        position = end
    if not pieces:
        return None
    if position < len(text):
        pieces.append(Token("text", "", 0, content=text[position:]))
    return pieces


def _mentions_rule(state: StateCore) -> None:
    for block_token in state.tokens:
        if block_token.type != "inline" or not block_token.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for child in block_token.children:
            if child.type == "link_open":
                link_depth += 1
            elif child.type == "link_close":
                link_depth -= 1
            linked = _link_mentions(child) if child.type == "text" and link_depth == 0 else None
            children += linked if linked else [child]
        block_token.children = children


def mentions_plugin(md: MarkdownIt) -> None:
    # After text_join, so ``@a_b`` is one text token even though "_" may start emphasis.
    md.core.ruler.push("mentions", _mentions_rule)


def mentioned_names(tokens: list[Token]) -> list[str]:
    """Names of the mention links in parsed ``tokens``, unique, in order of appearance."""
    names: dict[str, None] = {}
    for block_token in tokens:
        for child in block_token.children or ():
            if child.type == "link_open" and "mention" in child.meta:
                names.setdefault(child.meta["mention"], None)
    return list(names)
