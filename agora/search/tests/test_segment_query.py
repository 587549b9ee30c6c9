"""Segmentation and query building: the same words at index and query time, never FTS syntax."""

import pytest

from agora.search import query, segment


def test_mixed_script_text_is_cut_into_words():
    assert segment.tokens("用 Stable Diffusion 生成的图像") == [
        "用",
        "stable",
        "diffusion",
        "生成",
        "的",
        "图像",
    ]


def test_punctuation_and_emoji_are_dropped():
    assert segment.tokens('🎨 "SD-1.5" (NEAR) *') == ["sd", "1", "5", "near"]


def test_long_han_words_also_index_their_parts():
    indexed = segment.for_index("中华人民共和国").split()
    assert "中华人民共和国" in indexed and "人民" in indexed and "共和国" in indexed


def test_quoted_text_becomes_a_phrase_and_latin_words_prefixes():
    parsed = query.parse('"latent diffusion" diffus 扩散 ab')
    assert query.Term(("latent", "diffusion")) in parsed.terms
    assert query.Term(("diffus",), prefix=True) in parsed.terms
    assert query.Term(("扩散",)) in parsed.terms
    assert query.Term(("ab",)) in parsed.terms  # too short to be a prefix


@pytest.mark.parametrize(
    "text", ['"', '""', "*", "NEAR(", "AND OR NOT", "-x", "'; DROP TABLE x; --", "a\"b'c\\d"]
)
def test_expressions_quote_every_token(text):
    parsed = query.parse(text)
    for term in parsed.terms:
        for word in term.words:
            assert word.isalnum()
    fts5 = query.fts5_expression(parsed)
    assert fts5.count('"') % 2 == 0


def test_a_huge_query_is_cut_short():
    parsed = query.parse("diffusion " * 2000)
    assert len(parsed.terms) == 1
    assert len(query.parse(" ".join(f"w{i}" for i in range(1000))).terms) == query.MAX_TERMS
