"""Rendered HTML back to text, for search indexing and excerpts."""

from html.parser import HTMLParser

# Decoration the renderer adds, which is not what the author wrote.
_SKIPPED_CLASSES = frozenset({"header-anchor", "footnote-ref", "footnote-backref"})
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "mspace"})
# Tags that separate words; inline ones ("<em>a</em>b", "<mi>x</mi><mn>2</mn>") do not.
_BREAKING_TAGS = frozenset(
    {"p", "div", "section", "blockquote", "pre", "ul", "ol", "li", "table", "tr", "th", "td"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "math", "mtd"}
)


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping: list[bool] = []  # one per open element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")
        if tag in _VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        inherited = bool(self._skipping) and self._skipping[-1]
        self._skipping.append(inherited or bool(classes & _SKIPPED_CLASSES))

    def handle_endtag(self, tag: str) -> None:
        if tag in _BREAKING_TAGS:
            self.parts.append(" ")
        if tag not in _VOID_TAGS and self._skipping:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not (self._skipping and self._skipping[-1]):
            self.parts.append(data)


def to_plain_text(html: str) -> str:
    """Text content of ``html``, whitespace collapsed, without heading and footnote markers.

    The result is text, not HTML: escape it before putting it in a page.
    """
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())
