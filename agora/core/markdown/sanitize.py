"""The allow-list every rendered post passes through: what our renderer emits, nothing more."""

import nh3

from .code import LANGUAGE_CLASSES, TOKEN_CLASSES

_HTML_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "div",
    "section",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "s",
    "del",
    "code",
    "pre",
    "span",
    "sup",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "input",
}

# What latex2mathml produces, plus the MathML wrappers a later renderer might add.
_MATHML_TAGS = {
    "math",
    "mrow",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "semantics",
    "annotation",
}
# Not href (``\href{javascript:...}``), style or class (``\style``, ``\class``), nor
# mathbackground (``\rule`` could paint over the page).
_MATHML_ATTRIBUTES = {
    "mathvariant",
    "mathcolor",
    "mathsize",
    "displaystyle",
    "scriptlevel",
    "stretchy",
    "fence",
    "separator",
    "form",
    "lspace",
    "rspace",
    "accent",
    "accentunder",
    "largeop",
    "movablelimits",
    "minsize",
    "maxsize",
    "symmetric",
    "linethickness",
    "width",
    "height",
    "depth",
    "voffset",
    "linebreak",
    "notation",
    "columnalign",
    "rowalign",
    "columnlines",
    "rowlines",
    "columnspacing",
    "rowspacing",
    "columnspan",
    "rowspan",
    "frame",
    "encoding",
}

_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title", "id"},
    "div": {"data-widget", "data-state"},  # a lesson widget (widgets.py)
    "img": {"src", "alt", "title"},
    "li": {"id"},
    "ol": {"start"},
    "input": {"checked"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
    **{tag: _MATHML_ATTRIBUTES for tag in _MATHML_TAGS if tag != "math"},
}
_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    "math": {"display": {"block", "inline"}},
    "th": {"align": {"left", "center", "right"}},
    "td": {"align": {"left", "center", "right"}},
}
_CLASSES: dict[str, set[str]] = {
    "a": {"mention", "header-anchor", "footnote-backref"},
    "code": {"math-error", *LANGUAGE_CLASSES},
    "div": {"math", "inline", "block", "markdown-alert", "widget", "widget-error"}
    | {f"markdown-alert-{kind}" for kind in ("note", "tip", "important", "warning", "caution")},
    "hr": {"footnotes-sep"},
    "input": {"task-list-item-checkbox"},
    "li": {"task-list-item", "footnote-item"},
    "ol": {"footnotes-list", "contains-task-list"},
    "p": {"markdown-alert-title"},
    "pre": {"highlight", "mermaid"},
    "section": {"footnotes"},
    "span": {"math", "inline", "display", *TOKEN_CLASSES},
    "sup": {"footnote-ref"},
    "ul": {"contains-task-list"},
}

_CLEANER = nh3.Cleaner(
    tags=_HTML_TAGS | _MATHML_TAGS,
    attributes=_ATTRIBUTES,
    tag_attribute_values=_ATTRIBUTE_VALUES,
    # Whatever the markup said, a checkbox in a post is a read-only checkbox.
    set_tag_attribute_values={"input": {"type": "checkbox", "disabled": ""}},
    allowed_classes=_CLASSES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow ugc noopener",
    strip_comments=True,
)


def sanitize(html: str) -> str:
    return _CLEANER.clean(html)
