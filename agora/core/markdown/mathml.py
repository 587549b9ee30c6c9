"""Math in posts: ``$...$``, ``$$...$$``, ``\\(...\\)`` and ``\\[...\\]`` rendered as MathML.

Dollar delimiters come from mdit-py-plugins' ``dollarmath``; the bracket rules here produce
the same ``math_inline`` / ``math_inline_double`` / ``math_block`` tokens, and all of them
render through :func:`tex_to_mathml`.
"""

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from xml.etree.ElementTree import tostring

from latex2mathml.converter import Converter
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.dollarmath.index import math_block_dollar
from mdit_py_plugins.utils import is_code_block

# latex2mathml has no ``aligned``; ``split`` is the same inner alignment environment.
_ALIASED_ENVIRONMENTS = re.compile(r"\\(begin|end)\{aligned\}")
# latex2mathml stores symbols as numeric character references in element text; after
# ElementTree escapes the text they must be turned back into references.
_ESCAPED_CHAR_REF = re.compile(r"&amp;(#x?[0-9A-Fa-f]+;)")


# Posts repeat their symbols ($x_t$, $\alpha_t$) and latex2mathml costs ~1 ms per formula.
@lru_cache(maxsize=4096)
def tex_to_mathml(tex: str, *, display: bool) -> str:
    """Return MathML for ``tex``, or the source in ``<code class="math-error">`` if invalid."""
    source = tex.strip()
    try:
        converter = Converter(display="block" if display else "inline")
        element = converter.convert_to_element(_ALIASED_ENVIRONMENTS.sub(r"\\\1{split}", source))
        # Not Converter.convert(): it unescapes the whole document, so ``\text{<b>}`` would
        # come out as markup.
        return _ESCAPED_CHAR_REF.sub(r"&\1", tostring(element, encoding="unicode"))
    except Exception:  # latex2mathml signals bad TeX with assorted built-in exceptions
        return f'<code class="math-error">{escapeHtml(source)}</code>'


def _render_math(content: str, options: dict[str, Any]) -> str:
    return tex_to_mathml(content, display=bool(options.get("display_mode")))


def _render_display_math_in_paragraph(
    _renderer: Any, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType
) -> str:
    # dollarmath writes a <div>, which would end the enclosing <p> when the HTML is parsed.
    return f'<span class="math display">{tex_to_mathml(tokens[idx].content, display=True)}</span>'


def _preceded_by_odd_backslashes(src: str, pos: int) -> bool:
    count = 0
    while pos - count - 1 >= 0 and src[pos - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _bracket_math_inline(state: StateInline, silent: bool) -> bool:
    """``\\(tex\\)`` is inline math, ``\\[tex\\]`` inside a paragraph is display math."""
    src, start = state.src, state.pos
    if src[start] != "\\" or start + 1 >= state.posMax or src[start + 1] not in "([":
        return False
    closer = "\\)" if src[start + 1] == "(" else "\\]"
    # Where a search for this closer already failed: each "\\(" of a paragraph full of them
    # would otherwise search to its end again (quadratic).
    misses = state.env.setdefault("_agora_inline_math_misses", {})
    miss = misses.get(closer)
    if miss is not None and miss[0] is src and miss[1] == state.posMax and start + 2 >= miss[2]:
        return False
    search_from = start + 2
    while True:
        end = src.find(closer, search_from, state.posMax)
        if end == -1:
            misses[closer] = (src, state.posMax, start + 2)
            return False
        if not _preceded_by_odd_backslashes(src, end):  # ``\\)`` is a TeX line break + ")"
            break
        search_from = end + 1
    content = src[start + 2 : end]
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_inline" if closer == "\\)" else "math_inline_double", "math", 0)
        token.content = content
        token.markup = src[start : start + 2]
    state.pos = end + 2
    return True


def _bracket_math_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``\\[`` at the start of a line, closed by ``\\]`` at the end of the same or a later line."""
    if is_code_block(state, start_line):
        return False
    begin = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("\\[", begin):
        return False
    line = start_line
    while line < end_line:
        line_start = begin if line == start_line else state.bMarks[line]
        text = state.src[line_start : state.eMarks[line]].rstrip()
        if line > start_line and not text.strip():
            return False  # a blank line ends the block, as in LaTeX
        min_length = 4 if line == start_line else 2  # the opening "\[" cannot close itself
        if len(text) >= min_length and text.endswith("\\]"):
            break
        line += 1
    else:
        return False
    if silent:
        return True
    # Line by line, leaving out the markers of an enclosing blockquote or list.
    lines = [state.src[begin + 2 : state.eMarks[start_line]]]
    lines += [
        state.src[state.bMarks[n] + state.tShift[n] : state.eMarks[n]]
        for n in range(start_line + 1, line + 1)
    ]
    lines[-1] = lines[-1].rstrip().removesuffix("\\]")
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = "\n".join(lines)
    token.markup = "\\["
    token.map = [start_line, line + 1]
    state.line = line + 1
    return True


class _LineStops:
    """For one source and one closing marker: the first line after each line that is blank or
    ends with the marker, so a block opened without a closer fails without rescanning."""

    def __init__(self, src: str, closer: str) -> None:
        self.src = src
        lines = [line.strip() for line in src.split("\n")]
        self.blank = [not line for line in lines]
        self.closes = [line.endswith(closer) for line in lines]
        self.next_stop = [len(lines)] * len(lines)
        following = len(lines)
        for n in range(len(lines) - 1, -1, -1):
            self.next_stop[n] = following
            if self.blank[n] or self.closes[n]:
                following = n
        self.lines = lines
        self.context_stop = -1  # a line found blank inside a container (after "> ")


def _line_stops(state: StateBlock, closer: str) -> _LineStops:
    cache = state.env.setdefault("_agora_block_math_stops", {})
    stops = cache.get(closer)
    if stops is None or stops.src is not state.src:
        stops = cache[closer] = _LineStops(state.src, closer)
    return stops


def _blank_here(state: StateBlock, line: int) -> bool:
    return not state.src[state.bMarks[line] : state.eMarks[line]].strip()


def _may_close(state: StateBlock, start_line: int, end_line: int, closer: str) -> bool:
    """False when the block opened on ``start_line`` surely has no closer: linear in total.

    Block rules scan to the next blank line for their closer and give up there, so a document
    of openers without closers costs the square of its length; here every line is looked at
    about once per container level.
    """
    stops = _line_stops(state, closer)
    if start_line >= len(stops.lines):
        return True
    if len(stops.lines[start_line]) >= 4 and stops.closes[start_line]:
        return True  # opened and closed on one line: the rule decides
    stop = stops.next_stop[start_line]
    if stop >= end_line or stops.blank[stop]:
        return False
    # Inside a blockquote a line such as ">" is blank too, though not in the source.
    known = stops.context_stop
    if start_line < known < stop and _blank_here(state, known):
        return False
    for line in range(start_line + 1, stop):
        if _blank_here(state, line):
            stops.context_stop = line
            return False
    return True


def _guarded(rule: Any, opener: str, closer: str) -> Any:
    """``rule`` behind :func:`_may_close`, for lines that start with ``opener``."""

    def guarded(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        begin = state.bMarks[start_line] + state.tShift[start_line]
        if state.src.startswith(opener, begin) and not _may_close(
            state, start_line, end_line, closer
        ):
            return False
        return bool(rule(state, start_line, end_line, silent))

    return guarded


def math_plugin(md: MarkdownIt) -> None:
    # Pandoc's rules for dollars, so prices are not math: "$5 and $10" stays text.
    md.use(
        dollarmath_plugin,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        allow_labels=False,
        double_inline=True,
        renderer=_render_math,
    )
    md.add_render_rule("math_inline_double", _render_display_math_in_paragraph)
    # Before "escape", which would otherwise turn ``\(`` into a literal "(".
    md.inline.ruler.before("escape", "bracket_math_inline", _bracket_math_inline)
    # Like dollarmath's "$$" block, it cannot interrupt a paragraph; inside one the inline
    # rule takes it.
    md.block.ruler.before(
        "fence", "bracket_math_block", _guarded(_bracket_math_block, "\\[", "\\]")
    )
    # dollarmath's own "$$" block rule has the same rescanning; put it behind the same guard.
    dollar_block = math_block_dollar(allow_labels=False, allow_blank_lines=False)
    md.block.ruler.at("math_block", _guarded(dollar_block, "$$", "$$"))
