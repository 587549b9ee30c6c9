"""The Markdown renderer: what readers see, and what no post can smuggle into the page.

Plain functions, no database: run with ``pytest agora/core/tests/test_markdown.py -p no:django``.
"""

import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agora.core import markdown
from agora.core.markdown import extract_mentions, render, to_plain_text
from agora.core.markdown.code import HIGHLIGHT_BUDGET_CHARS
from agora.core.markdown.headings import slugify

DDPM_LOSS = (
    r"$$L_{simple} = \mathbb{E}_{t, x_0, \epsilon}\left[\left\| \epsilon - "
    r"\epsilon_\theta(\sqrt{\bar\alpha_t} x_0 + \sqrt{1-\bar\alpha_t}\epsilon, t) "
    r"\right\|^2\right]$$"
)
HIGHLIGHT_CSS = Path(__file__).resolve().parents[2] / "static" / "agora" / "css" / "highlight.css"


class _Page(HTMLParser):
    """What a browser would build from the HTML: tags, attributes and text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)

    def values(self, tag: str, attribute: str) -> list[str]:
        return [v for t, name, v in self.attributes if t == tag and name == attribute]


_DANGEROUS_TAGS = {
    "script",
    "style",
    "iframe",
    "frame",
    "object",
    "embed",
    "form",
    "svg",
    "link",
    "meta",
    "base",
    "textarea",
    "noscript",
    "annotation-xml",
    "template",
}
_DANGEROUS_SCHEME = re.compile(r"^(javascript|vbscript|data):")


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<style" not in lowered
    page = _Page(html)
    assert not _DANGEROUS_TAGS & set(page.tags), page.tags
    for tag, name, value in page.attributes:
        assert not name.startswith("on"), (tag, name, value)
        assert name not in {"style", "srcdoc", "formaction", "action", "xlink:href"}
        if name in {"href", "src"}:
            # Browsers ignore whitespace and control characters inside a scheme.
            scheme = re.sub(r"[\x00-\x20]", "", value).lower()
            assert not _DANGEROUS_SCHEME.match(scheme), (tag, name, value)
        if tag == "input":
            assert (name, value) in {("type", "checkbox"), ("disabled", ""), ("checked", "")} or (
                name == "class"
            )


# --- CommonMark and GFM ---------------------------------------------------------------------


def test_commonmark_basics() -> None:
    html = render("Some *emphasis*, **strong** and `code`.\n\n1. one\n2. two\n\n> quoted")

    assert "<em>emphasis</em>" in html
    assert "<strong>strong</strong>" in html
    assert "<code>code</code>" in html
    assert "<ol>\n<li>one</li>" in html
    assert "<blockquote>" in html


def test_table_alignment_survives_the_style_ban() -> None:
    html = render("| step | loss |\n|:---|---:|\n| 1 | 0.5 |")

    assert '<th align="left">step</th>' in html
    assert '<td align="right">0.5</td>' in html
    assert "style" not in html


def test_task_list_items_are_read_only_checkboxes() -> None:
    page = _Page(render("- [x] train the VAE\n- [ ] write the paper"))

    assert page.values("input", "type") == ["checkbox", "checkbox"]
    assert page.values("input", "disabled") == ["", ""]
    assert page.values("input", "checked") == [""]
    assert "train the VAE" in page.text


def test_strikethrough() -> None:
    assert "<s>old schedule</s>" in render("~~old schedule~~ cosine")


def test_footnotes_link_both_ways_and_differ_between_posts() -> None:
    first = render("Claim[^1].\n\n[^1]: Ho et al., 2020.")
    second = render("Other claim[^1].\n\n[^1]: Song et al., 2021.")

    page = _Page(first)
    (ref,) = [v for t, n, v in page.attributes if t == "a" and n == "href" and "fn-" in v]
    assert f'id="{ref.removeprefix("#")}"' in first
    assert 'class="footnote-backref"' in first
    # Two posts on one thread page must not share footnote ids.
    assert set(_Page(second).values("li", "id")).isdisjoint(page.values("li", "id"))


def test_bare_urls_become_links_without_trailing_punctuation() -> None:
    page = _Page(render("See https://arxiv.org/abs/2006.11239. Or www.example.com, thanks"))

    assert page.values("a", "href") == [
        "https://arxiv.org/abs/2006.11239",
        "http://www.example.com",
    ]


def test_links_are_marked_as_user_content() -> None:
    page = _Page(render("[paper](https://arxiv.org/abs/2006.11239)"))

    assert page.values("a", "rel") == ["nofollow ugc noopener"]


def test_raw_html_is_shown_as_text() -> None:
    html = render('<b>bold?</b> <img src="x.png">')

    assert "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "<img" not in html


# --- Headings --------------------------------------------------------------------------------


def test_headings_get_slug_ids_and_an_anchor_link() -> None:
    html = render("## Noise Schedules: linear vs. cosine")

    assert html.startswith('<h2 id="noise-schedules-linear-vs-cosine">')
    assert '<a href="#noise-schedules-linear-vs-cosine" class="header-anchor"' in html


def test_repeated_headings_get_unique_ids() -> None:
    page = _Page(render("# Results\n\n# Results\n\n# Results-1\n\n# Results"))

    ids = page.values("h1", "id")
    assert len(set(ids)) == 4
    assert ids[0] == "results"


def test_chinese_heading_keeps_its_characters() -> None:
    html = render("## 扩散模型简介（DDPM）")

    assert '<h2 id="扩散模型简介ddpm">' in html


def test_heading_without_letters_still_gets_an_id() -> None:
    assert slugify("?!…") == "section"
    assert '<h3 id="section">' in render("### ???")


# --- Code ------------------------------------------------------------------------------------


def test_code_fence_is_highlighted_with_classes_only() -> None:
    html = render("```python\ndef q_sample(x0, t):\n    return x0 < t\n```")

    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="k">def</span>' in html
    assert '<span class="o">&lt;</span>' in html
    assert "style" not in html


def test_unknown_language_is_plain_escaped_code() -> None:
    html = render("```klingon\n<b>qapla'</b>\n```")

    assert html == "<pre><code>&lt;b&gt;qapla'&lt;/b&gt;\n</code></pre>\n"


def test_code_past_the_highlight_budget_is_plain() -> None:
    line = "x = 1\n"
    big = line * (HIGHLIGHT_BUDGET_CHARS // len(line) + 1)

    html = render(f"```python\nsmall = 1\n```\n\n```python\n{big}```")

    assert html.count('class="highlight"') == 1
    assert html.endswith("x = 1\n</code></pre>\n")


def test_mermaid_fence_is_left_as_escaped_source_for_the_browser() -> None:
    html = render("```mermaid\ngraph TD\n  A[x_t] --> B[<b>x_0</b>]\n```")

    assert html == (
        '<pre class="mermaid">graph TD\n  A[x_t] --&gt; B[&lt;b&gt;x_0&lt;/b&gt;]\n</pre>\n'
    )


def test_highlight_css_colours_the_emitted_classes_in_light_and_dark() -> None:
    css = HIGHLIGHT_CSS.read_text()
    html = render('```python\n# noise\n@torch.no_grad()\ndef f(x=1):\n    return "x"\n```')
    emitted = set(re.findall(r'<span class="([\w-]+)"', html))

    light, dark = css.split("@media (prefers-color-scheme: dark)")
    # comment, decorator, keyword, function name, number, string
    for name in ("c1", "nd", "k", "nf", "mi", "s2"):
        assert name in emitted
        assert f".highlight .{name} {{" in light
        assert f':root:not([data-theme="light"]) .highlight .{name} {{' in dark
        assert f'[data-theme="dark"] .highlight .{name} {{' in dark


# --- Math ------------------------------------------------------------------------------------


def test_ddpm_loss_renders_as_mathml() -> None:
    html = render(DDPM_LOSS)

    assert '<math display="block">' in html
    text = _Page(html).text
    assert "$$" not in text
    assert "\\" not in text
    assert "𝔼" in text  # \mathbb{E}


@pytest.mark.parametrize(
    "tex",
    [
        r"\mathcal{N}(0, I)",
        r"\sqrt{\bar\alpha_t}",
        r"\epsilon_\theta(x_t, t)",
        r"\frac{1}{\sqrt{\alpha_t}}",
        r"\left\| x - \hat{x} \right\|^2",
        r"x_{t-1}^{(i)}",
        r"\begin{cases} 1 & t > 0 \\ 0 & \text{otherwise} \end{cases}",
        r"\begin{aligned} a &= b \\ c &= d \end{aligned}",
        r"\nabla_\theta \log p_\theta(x)",
    ],
)
def test_math_found_in_real_posts_renders_without_leftover_tex(tex: str) -> None:
    html = render(f"Inline ${tex}$ here.")

    assert '<span class="math inline"><math display="inline">' in html
    assert "math-error" not in html
    assert "\\" not in _Page(html).text


def test_all_four_delimiters_render_math() -> None:
    html = render("Inline $x_t$ and \\(y_t\\).\n\n$$a^2$$\n\n\\[\nb^2\n\\]")

    assert html.count('<math display="inline">') == 2
    assert html.count('<math display="block">') == 2
    assert "$" not in html and "\\" not in html


def test_display_math_in_a_blockquote_leaves_out_the_quote_markers() -> None:
    html = render("> \\[\n> x +\n> y\n> \\]")

    assert '<blockquote>\n<div class="math block">' in html
    assert "<mo>&gt;</mo>" not in html and "math-error" not in html


def test_display_math_inside_a_paragraph_stays_inside_it() -> None:
    html = render("Then $$x^2$$ and \\[y^2\\] follow.")

    assert html.startswith('<p>Then <span class="math display"><math display="block">')
    assert html.rstrip().endswith("follow.</p>")


@pytest.mark.parametrize(
    "prose",
    [
        "It costs $5 and $10 per GPU hour.",
        "Prices: $5 or $6.50.",
        "Escaped \\$x\\$ is not math.",
        "A lone $ sign.",
        "$ spaced $ is not math.",
    ],
)
def test_dollars_in_prose_are_not_math(prose: str) -> None:
    html = render(prose)

    assert "<math" not in html
    assert "$" in html


def test_math_inside_code_stays_code() -> None:
    html = render("Write `$x^2$` or\n\n```\n$$y$$ and \\(z\\)\n```")

    assert "<math" not in html
    assert "<code>$x^2$</code>" in html
    assert "$$y$$ and \\(z\\)" in html


def test_invalid_tex_shows_its_source_as_an_error() -> None:
    html = render(r"Broken $\frac{1}{$ and \(\left( x\).")

    assert html.count('<code class="math-error">') == 2
    assert r'<code class="math-error">\frac{1}{</code>' in html
    assert r'<code class="math-error">\left( x</code>' in html


def test_tex_text_is_text_not_markup() -> None:
    html = render(r"$\text{<b>bold</b> & more}$")

    assert "<b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


# --- Mentions --------------------------------------------------------------------------------


def test_mentions_link_to_profiles() -> None:
    html = render("Thanks @alice_w and @bob.smith.")

    assert '<a href="/u/alice_w/" class="mention" rel="nofollow ugc noopener">@alice_w</a>' in html
    assert '<a href="/u/bob.smith/" class="mention"' in html
    assert "</a>." in html  # the sentence's full stop is not part of the name


@pytest.mark.parametrize(
    "text",
    [
        "mail me at carol@example.com",
        "inline `@carol` code",
        "```\n@carol\n```",
        "[@carol](https://example.com)",
        "too short: @ab",
        "@" + "c" * 151,
        "a fediverse handle @carol@example.social",
    ],
)
def test_not_a_mention(text: str) -> None:
    assert 'class="mention"' not in render(text)
    assert extract_mentions(text) == []


def test_extract_mentions_lists_each_name_once_in_order() -> None:
    text = "@bob asked @alice; @bob agreed. `@carol` did not. 中文@dave 也来了"

    assert extract_mentions(text) == ["bob", "alice", "dave"]


def test_mention_with_underscores_is_not_emphasis() -> None:
    assert extract_mentions("ping @a_b_c_") == ["a_b_c_"]


# --- Plain text ------------------------------------------------------------------------------


def test_plain_text_for_search_and_excerpts() -> None:
    html = render("# Title\n\nSome *very*   important\n\n| a | b |\n|---|---|\n| 1 & 2 | 3 |\n")

    assert to_plain_text(html) == "Title Some very important a b 1 & 2 3"


def test_plain_text_drops_footnote_markers_but_keeps_notes() -> None:
    html = render("Claim[^1] by @alice.\n\n[^1]: Ho et al.")

    assert to_plain_text(html) == "Claim by @alice. Ho et al."


# --- Safety ----------------------------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<a href="javascript:alert(1)">x</a>',
    "<a href='&#x6a;avascript:alert(1)'>x</a>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=/logout><button>x</button></form>",
    "<object data=x.swf></object><embed src=x.swf>",
    "<!-- <script>alert(1)</script> -->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript&#x3A;alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    '![x" onerror="alert(1)](https://example.com/a.png)',
    '[x](https://example.com/" onmouseover="alert(1))',
    '[x](https://example.com "t\\" onmouseover=alert(1)")',
    'www.example.com/"onmouseover=alert(1)',
    "https://example.com/<script>alert(1)</script>",
    '```mermaid\ngraph TD\nA-->B\nclick A callback "javascript:alert(1)"\n'
    "<script>alert(1)</script>\n```",
    "```mermaid\n%%{init: {'securityLevel': 'loose'}}%%\ngraph TD\nA-->B\n```",
    "```html\n<script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    '```python" onmouseover="alert(1)\nx\n```',
    r"$\href{javascript:alert(1)}{x}$",
    r"$\text{<img src=x onerror=alert(1)>}$",
    r"$\text{</mtext></math><img src=x onerror=alert(1)>}$",
    r"\[\text{</math><script>alert(1)</script>}\]",
    r"$$\style{background:url(javascript:alert(1))}{x}$$",
    r"$\class{x\" onload=\"alert(1)}{x}$",
    r"$\rule{100em}{100em}$",
    "# <img src=x onerror=alert(1)>",
    '# heading" onmouseover="alert(1)',
    '@user"onmouseover=alert(1)',
    "- [x] <input onfocus=alert(1) autofocus>",
    "[^1]\n\n[^1]: <script>alert(1)</script>",
    "mailto:x@example.com?body=<script>",
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payload_is_neutralised(payload: str) -> None:
    html = render(payload)

    assert_safe(html)
    assert "mathbackground" not in html  # \rule cannot paint over the page


_FRAGMENTS = [
    "$",
    "$$",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "\\",
    "`",
    "```",
    "```mermaid\n",
    "```python\n",
    "\n",
    "\n\n",
    " ",
    "*",
    "_",
    "~~",
    "[",
    "]",
    "(",
    ")",
    "![",
    "[^1]",
    "[^1]: ",
    "|",
    "|-|",
    "- [ ] ",
    "# ",
    "> ",
    "@alice",
    "a@b.co",
    "www.",
    "https://",
    "javascript:",
    "data:",
    "&#58;",
    "&#x6a;",
    "<",
    ">",
    '"',
    "'",
    "=",
    "onerror=",
    "<script>",
    "<img src=x ",
    "\\frac{",
    "\\text{",
    "\\href{",
    "}",
    "{",
    "\\left(",
    "\\begin{cases}",
    "&",
    "\\\\",
    "\x00",
    "\u2028",
    "扩散",
]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=8)), max_size=60).map(
            "".join
        ),
    )
)
def test_any_text_renders_safely(caplog: pytest.LogCaptureFixture, text: str) -> None:
    with caplog.at_level(logging.ERROR, logger="agora.core.markdown"):
        html = render(text)
        extract_mentions(text)
        to_plain_text(html)

    assert_safe(html)
    assert not caplog.records, "rendering fell back to the error path"


def test_a_renderer_bug_still_shows_the_post_and_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(text: str, env: object = None) -> str:
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(markdown._PARSER, "render", broken)

    html = render("Hello <world>")

    assert html == "<pre>Hello &lt;world&gt;</pre>"
    assert "markdown rendering failed" in caplog.text


# --- Hostile sizes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "# Notes\n" * 4000,
        "\\[\n" * 6000,
        "\\( " * 10_000,
        "$a " * 10_000,
        "@alice " * 5000,
        "$$" + "x^2 + " * 2000 + "1$$",
        "$" + "\\sqrt{" * 2000 + "x" + "}" * 2000 + "$",
        "```python\n" + "x = [1, 2, 3]  # c\n" * 10_000 + "```",
    ],
    ids=["headings", "brackets", "parens", "dollars", "mentions", "long-tex", "deep-tex", "code"],
)
def test_pathological_input_renders_and_stays_inert(text: str) -> None:
    """Speed is measured in bench/markdown.py; here: it finishes, and nothing unsafe comes out."""
    html = render(text)
    assert html
    assert "<script" not in html and "javascript:" not in html
