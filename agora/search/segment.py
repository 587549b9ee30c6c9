"""Text to search tokens, identically at index time and at query time, on both backends.

Han runs are cut by jieba (precise mode, no HMM, so a word is cut the same way in a post and in
a query); every other run of letters and digits is one lower-cased token; punctuation, emoji and
symbols are dropped. The result is plain words separated by spaces, which FTS5's unicode61 and
PostgreSQL's ``simple`` parser both split into exactly these tokens.
"""

from __future__ import annotations

import logging
import re
import threading

import jieba

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{HAN}]+)|([^\W_{HAN}]+)")
_HAN_ONLY = re.compile(rf"^[{HAN}]+$")
MAX_TOKEN = 60  # longer "words" are noise (hashes, base64) and PostgreSQL skips them anyway

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def _jieba() -> jieba.Tokenizer:
    """jieba loads its dictionary (a second or two) once per process, quietly."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def is_han(token: str) -> bool:
    return bool(_HAN_ONLY.match(token))


def tokens(text: str) -> list[str]:
    """The words of ``text`` in order: jieba words for Han, lower-cased words otherwise."""
    result: list[str] = []
    for han, other in _RUN.findall(text):
        if han:
            result.extend(w for w in _jieba().lcut(han, HMM=False) if w.strip())
        elif len(other) <= MAX_TOKEN:
            result.append(other.lower())
    return result


def _sub_words(word: str, freq: dict[str, int]) -> list[str]:
    """The dictionary words inside a long Han word, as jieba's search mode finds them."""
    found = []
    for size in (2, 3):
        if len(word) > size:
            for i in range(len(word) - size + 1):
                gram = word[i : i + size]
                if freq.get(gram):
                    found.append(gram)
    return found


def for_index(text: str) -> str:
    """Segmented text to store: the words in order (so phrases match), then the shorter words
    inside long Han words (so "扩散" finds "扩散模型" when jieba keeps it as one word)."""
    words = tokens(text)
    freq = _jieba().FREQ
    extra = [sub for w in words if len(w) > 2 and is_han(w) for sub in _sub_words(w, freq)]
    return " ".join(words + extra)
