"""Every parser that runs on member input survives any input and does bounded work on hostile
input (the class of issue #15 items 2-4: one anonymous request must not pin a CPU).

The fuzz tests look for crashes and check each parser against its specification (the diff
reproduces both texts; the new one-pass readers agree with the regexes they replaced). The
regression tests assert bounded work, not time: a counted number of steps, a fallback taken, or
an input so large that the old quadratic code would run for many minutes. Timings live in
bench/hostile.py."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from agora.core.markdown import extract_mentions, mathml, render
from agora.forum import diff
from agora.forum import services as forum_services
from agora.forum.models import Category
from agora.gallery import metadata
from agora.learn import frontmatter
from agora.moderation.services import links_and_images
from agora.search.query import parse as parse_query
from agora.search.snippets import highlight
from genlab.data import load_dataset
from genlab.errors import DatasetError

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every machine: a crash found is a crash kept
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# The regexes the one-pass readers replaced, kept as their specification.
OLD_A1111_KEY = re.compile(r"\s*([A-Za-z][\w ]*?):\s*(\"(?:[^\"\\]|\\.)*\"|[^,]*)(?:,|$)")


def sides(marked: str) -> tuple[str, str]:
    """The before and after texts a diff shows (deleted parts only before, inserted only after)."""
    before = re.sub(r"</?del>", "", re.sub(r"<ins>.*?</ins>", "", marked, flags=re.S))
    after = re.sub(r"</?ins>", "", re.sub(r"<del>.*?</del>", "", marked, flags=re.S))
    return html.unescape(before), html.unescape(after)


# --- the edit-history diff ---------------------------------------------------------------------

_DIFF_TEXT = st.lists(
    st.sampled_from(["a", "b", " ", "\n", "word ", "<&>", "\n\n", "x\ny", "é"]), max_size=80
).map("".join)


@FUZZ
@given(_DIFF_TEXT, _DIFF_TEXT)
def test_the_diff_shows_exactly_both_texts(before, after):
    assert sides(diff.html_diff(before, after)) == (before, after)


@FUZZ
@given(_DIFF_TEXT, _DIFF_TEXT, st.integers(0, 3000))
def test_the_diff_is_exact_whatever_its_budget(before, after, budget):
    work = diff.DiffWork(budget=budget)
    assert sides(diff.html_diff(before, after, work=work)) == (before, after)
    assert work.cells <= budget


@pytest.mark.parametrize("size", [15_000, 60_000])
def test_a_hostile_edit_falls_back_to_whole_lines_within_the_budget(size):
    # "a a a" -> "a b a b": difflib alone took 5 s at 800 characters and grows as the cube.
    before, after = "a " * (size // 2), "a b " * (size // 4)
    work = diff.DiffWork()
    marked = diff.html_diff(before, after, work=work)
    assert work.cells <= diff.BUDGET_CELLS and work.whole_replacements >= 1
    assert sides(marked) == (before, after)


def test_many_small_hostile_hunks_stop_at_the_budget_and_stay_exact():
    lines_before, lines_after = [], []
    for i in range(3000):  # unique anchor lines with a repetitive changed line between each
        lines_before += [f"anchor {i}\n", "a " * 30 + "\n"]
        lines_after += [f"anchor {i}\n", "a b " * 15 + "\n"]
    before, after = "".join(lines_before), "".join(lines_after)
    work = diff.DiffWork()
    marked = diff.html_diff(before, after, work=work)
    assert work.cells <= diff.BUDGET_CELLS and work.whole_replacements > 1000
    assert sides(marked) == (before, after)


def test_an_ordinary_edit_of_a_long_article_is_marked_word_by_word():
    paragraphs = [f"Paragraph {i} on the beta schedule of run {i}." for i in range(2000)]
    before = "\n\n".join(paragraphs)
    paragraphs[1500] = paragraphs[1500].replace("beta", "cosine beta")
    marked = diff.html_diff(before, "\n\n".join(paragraphs))
    assert re.findall(r"<(?:ins|del)>.*?</(?:ins|del)>", marked) == ["<ins>cosine </ins>"]


@pytest.mark.django_db
def test_the_history_of_a_60000_character_post_shows_its_diff_and_caches_it(alice, client):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    post = forum_services.create_topic(
        author=alice, category=lounge, title="A long hostile post", raw="a " * 29_999
    ).posts.get()
    forum_services.edit_post(editor=alice, post=post, raw="a b " * 14_999)
    page = client.get(f"/p/{post.id}/revisions/")
    assert page.status_code == 200
    assert "<del>" in page.content.decode() and "<ins>" in page.content.decode()
    assert cache.get(diff._cache_key("a " * 29_999, "a b " * 14_999)) is not None


# --- Markdown ----------------------------------------------------------------------------------

_MD_PIECES = [
    "\\[",
    "\\]",
    "\\(",
    "\\)",
    "$$",
    "$",
    "a",
    " ",
    "\n",
    "\n\n",
    "> ",
    "- ",
    "1. ",
    "    ",
    "#",
    "```",
    "```mermaid\n",
    "@alice",
    "[",
    "](",
    "![",
    "*",
    "|",
    "---",
    "&#",
    "\\",
    "www.x.y",
]


@FUZZ
@given(st.lists(st.sampled_from(_MD_PIECES), max_size=60).map("".join))
def test_markdown_renders_any_text_without_a_parser_failure(caplog, text):
    caplog.clear()
    assert isinstance(render(text), str)
    assert isinstance(extract_mentions(text), list)
    assert "markdown rendering failed" not in caplog.text


@FUZZ
@given(st.text(max_size=60))
def test_any_tex_gives_mathml_or_the_escaped_source(tex):
    out = mathml.tex_to_mathml(tex, display=False)
    assert out.startswith("<math") or out.startswith('<code class="math-error">')


def _unguarded_parser():
    """The parser as it was: the block math rules without their guard."""
    from mdit_py_plugins.dollarmath.index import math_block_dollar

    from agora.core.markdown import _build_parser

    md = _build_parser()
    md.block.ruler.at("bracket_math_block", mathml._bracket_math_block)
    md.block.ruler.at("math_block", math_block_dollar(allow_labels=False, allow_blank_lines=False))
    return md


_UNGUARDED = _unguarded_parser()
_MATH_PIECES = ["\\[", "\\]", "$$", "a", " ", "\n", "\n\n", "> ", ">", "- ", "  ", "x\\]", "#"]


@FUZZ
@given(st.lists(st.sampled_from(_MATH_PIECES), max_size=40).map("".join))
def test_the_guard_changes_no_rendering(text):
    from agora.core.markdown import _PARSER

    assert _PARSER.render(text) == _UNGUARDED.render(text)


def _count_line_checks(monkeypatch) -> list[int]:
    checked = [0]
    check = mathml._blank_here

    def counting(state, line):
        checked[0] += 1
        return check(state, line)

    monkeypatch.setattr(mathml, "_blank_here", counting)
    return checked


@pytest.mark.parametrize("opener", ["\\[a", "$$a"])
def test_block_math_openers_without_closers_cost_nothing_per_line(monkeypatch, opener):
    # 27 s for 24 KB before: each opener scanned to the end of the document for its closer.
    checked = _count_line_checks(monkeypatch)
    out = render(f"{opener}\n#\n" * 4000)
    assert checked[0] == 0
    assert out.count("<h1") == 4000 and "<math" not in out


@pytest.mark.parametrize("opener", ["\\[a", "$$a"])
def test_block_math_openers_in_a_quote_look_at_each_line_about_once(monkeypatch, opener):
    # Inside a quote, ">" is a blank line only once the quote's marker is taken off.
    closer = "\\]" if opener == "\\[a" else "$$"
    text = f"> {opener}\n> #\n" * 2000 + ">\n" + f"> {closer}\n"
    checked = _count_line_checks(monkeypatch)
    out = render(text)
    assert checked[0] <= 2 * text.count("\n")
    assert out.count("<h1") == 2000 and "<math" not in out


def test_a_closed_block_is_still_math_after_a_thousand_openers():
    # The blank line ends the openers' search, as in LaTeX; the last block closes.
    out = render("\\[a\n#\n" * 1000 + "\n\\[\nx^2\n\\]\n")
    assert out.count("<math") == 1 and out.count("<h1") == 1000


# --- gallery metadata --------------------------------------------------------------------------

_A1111_PIECES = ["Steps", "Seed", ":", ",", " ", '"', "\\", "20", "a", "é", "_", "(", "CFG scale"]


@FUZZ
@given(st.lists(st.sampled_from(_A1111_PIECES), max_size=40).map("".join))
def test_the_settings_reader_agrees_with_the_regex_it_replaced(line):
    expected = {
        key.strip().lower(): value.strip().strip('"') for key, value in OLD_A1111_KEY.findall(line)
    }
    assert metadata.settings_of(line) == expected


@FUZZ
@given(st.text(max_size=200), st.binary(max_size=200))
def test_metadata_readers_never_fail(text, raw):
    metadata.parse_a1111(text, metadata.Recipe())
    metadata.parse_comfyui(text, metadata.Recipe())
    assert isinstance(metadata.decode_user_comment(b"UNICODE\x00" + raw), str)
    assert isinstance(metadata.decode_user_comment(raw), str)


@FUZZ
@given(st.dictionaries(st.sampled_from(["parameters", "prompt", "workflow"]), st.text(max_size=80)))
def test_any_png_text_chunks_give_a_recipe(chunks):
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="PNG", pnginfo=info)
    with Image.open(io.BytesIO(out.getvalue())) as image:
        assert isinstance(metadata.read_recipe(image), metadata.Recipe)


def test_a_settings_line_ten_times_the_upload_cap_is_read_in_one_pass():
    # 63 KB took 83 s with the regex (quadratic); 640 KB would take over two hours.
    recipe = metadata.Recipe()
    metadata.parse_a1111("a fox\nSteps: 20, Seed: 7, " + "a " * 320_000, recipe)
    assert (recipe.steps, recipe.seed, recipe.prompt) == (20, 7, "a fox")


def test_deeply_nested_comfyui_json_is_ignored_with_a_note():
    recipe = metadata.Recipe()
    metadata.parse_comfyui("[" * 100_000 + "]" * 100_000, recipe)
    assert recipe.notes == ["ComfyUI prompt: not valid JSON, ignored"]


# --- search, front matter, moderation, archives ------------------------------------------------


@FUZZ
@given(st.text(max_size=400), st.text(max_size=300))
def test_search_queries_and_snippets_accept_any_text(query, document):
    parsed = parse_query(query)
    assert isinstance(str(highlight(document, parsed)), str)


@FUZZ
@given(st.lists(st.sampled_from(["---\n", "title: x\n", "a", ":", "\n", "# c\n", "\r\n"])))
def test_front_matter_is_read_or_refused_with_a_message(pieces):
    try:
        meta, body = frontmatter.parse("".join(pieces))
    except ValidationError:
        return
    assert isinstance(meta, dict) and isinstance(body, str)


def test_images_are_counted_in_one_pass_over_a_long_post():
    # The new-member limit counts what the rendered post shows (one linear render and parse);
    # the regex it had once took 2 s at 40 KB, growing as the square.
    assert links_and_images("![" * 100_000) == (0, 0)
    assert links_and_images("![a](http://x.org/a.png) " * 2_000) == (0, 2_000)


@FUZZ
@given(st.dictionaries(st.text(max_size=12), st.binary(max_size=40), max_size=5))
def test_any_zip_archive_is_loaded_or_refused_with_a_reason(tmp_path_factory, entries):
    path = tmp_path_factory.mktemp("zips") / "set.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            try:
                # zipfile cuts a name at NUL, as the format does
                archive.writestr(name.split("\x00", 1)[0] or "x", data)
            except (ValueError, UnicodeEncodeError):
                continue
    try:
        loaded = load_dataset(str(path), image_size=8, max_images=3)
    except DatasetError:
        return
    assert len(loaded) <= 3
