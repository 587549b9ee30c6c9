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
    search_from = start + 2
    while True:
        end = src.find(closer, search_from, state.posMax)
        if end == -1:
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
    md.block.ruler.before("fence", "bracket_math_block", _bracket_math_block)
