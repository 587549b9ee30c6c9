"""Diff of two revisions as escaped HTML with <ins>/<del> marks, in bounded time.

Anyone can open an edit history, so the diff must not cost more than linear time on hostile
text: ``difflib`` alone is cubic on repetitive input (an 800-token edit took 5 s). The diff is
taken by lines first, then by words inside each changed hunk:

1. the common prefix and suffix are cut off (linear);
2. items that occur exactly once on each side anchor the rest (patience diff, ``n log n``);
3. only gaps whose size product is at most ``GAP_CELLS`` go to ``difflib``, and all of them
   together may use ``BUDGET_CELLS``; a gap past either cap is shown as replaced whole.

Revisions used in the ``/revisions/`` pages are rendered through :func:`render_diffs`, which
keeps the HTML of large pairs in the cache.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.html import escape

# Each alternative consumes at least one character and they cannot overlap: linear.
TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)
# ~60x60 items: difflib's worst case at this size is a few milliseconds.
GAP_CELLS = 4_000
# All difflib calls of one diff together; past it, changed hunks are shown as whole lines.
BUDGET_CELLS = 200_000
# Patience levels before a gap with no anchors is shown as replaced whole.
MAX_DEPTH = 4
# Pairs shorter than this are diffed on every view; longer ones are cached.
CACHE_FROM_CHARS = 4_000
CACHE_SECONDS = 7 * 24 * 3600
CACHE_VERSION = "diff-v2"

Opcode = tuple[str, int, int, int, int]


@dataclass
class DiffWork:
    """What one diff spent: ``difflib`` cells (size products) and gaps shown replaced whole."""

    budget: int = BUDGET_CELLS
    cells: int = 0
    whole_replacements: int = 0

    def take(self, cells: int) -> bool:
        if cells > GAP_CELLS or self.cells + cells > self.budget:
            return False
        self.cells += cells
        return True


def _unique_anchors(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[int, int]]:
    """Pairs (i, j) of items found once in ``a`` and once in ``b``, longest increasing run."""
    count_a = Counter(a)
    count_b = Counter(b)
    where_b = {item: j for j, item in enumerate(b) if count_b[item] == 1}
    pairs = [
        (i, where_b[item]) for i, item in enumerate(a) if count_a[item] == 1 and item in where_b
    ]
    # Longest increasing subsequence of the j's (patience sorting), with back links.
    tails: list[int] = []  # tails[k]: j of the smallest tail of an increasing run of length k+1
    tail_index: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[k] = j
            tail_index[k] = index
        back[index] = tail_index[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index != -1:
        run.append(pairs[index])
        index = back[index]
    run.reverse()
    return run


def _gap(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    a0: int,
    a1: int,
    b0: int,
    b1: int,
    work: DiffWork,
    depth: int,
    out: list[Opcode],
) -> None:
    """Append the opcodes turning a[a0:a1] into b[b0:b1]."""
    while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
        out.append(("equal", a0, a0 + 1, b0, b0 + 1))
        a0, b0 = a0 + 1, b0 + 1
    suffix: list[Opcode] = []
    while a0 < a1 and b0 < b1 and a[a1 - 1] == b[b1 - 1]:
        a1, b1 = a1 - 1, b1 - 1
        suffix.append(("equal", a1, a1 + 1, b1, b1 + 1))
    if a0 == a1 and b0 < b1:
        out.append(("insert", a0, a0, b0, b1))
    elif b0 == b1 and a0 < a1:
        out.append(("delete", a0, a1, b0, b0))
    elif a0 < a1:
        if work.take((a1 - a0) * (b1 - b0)):
            matcher = difflib.SequenceMatcher(None, a[a0:a1], b[b0:b1], autojunk=False)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes():
                out.append((tag, a0 + i1, a0 + i2, b0 + j1, b0 + j2))
        elif depth < MAX_DEPTH and (anchors := _unique_anchors(a[a0:a1], b[b0:b1])):
            start_a, start_b = a0, b0
            for i, j in anchors:  # relative to the gap's start
                _gap(a, b, a0, start_a + i, b0, start_b + j, work, depth + 1, out)
                out.append(("equal", start_a + i, start_a + i + 1, start_b + j, start_b + j + 1))
                a0, b0 = start_a + i + 1, start_b + j + 1
            _gap(a, b, a0, a1, b0, b1, work, depth + 1, out)
        else:
            work.whole_replacements += 1
            out.append(("replace", a0, a1, b0, b1))
    out.extend(reversed(suffix))


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable], work: DiffWork) -> list[Opcode]:
    """``difflib``-style opcodes from ``a`` to ``b``, adjacent equal runs merged."""
    raw: list[Opcode] = []
    _gap(a, b, 0, len(a), 0, len(b), work, 0, raw)
    merged: list[Opcode] = []
    for op in raw:
        if merged and merged[-1][0] == op[0] == "equal":
            tag, i1, _, j1, _ = merged[-1]
            merged[-1] = (tag, i1, op[2], j1, op[4])
        else:
            merged.append(op)
    return merged


def _changed_words(before: str, after: str, work: DiffWork, out: list[str]) -> None:
    a = TOKEN.findall(before)
    b = TOKEN.findall(after)
    for tag, i1, i2, j1, j2 in opcodes(a, b, work):
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if tag in {"delete", "replace"}:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if tag in {"insert", "replace"}:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")


def html_diff(before: str, after: str, *, work: DiffWork | None = None) -> str:
    work = work if work is not None else DiffWork()
    a = before.splitlines(keepends=True)
    b = after.splitlines(keepends=True)
    out: list[str] = []
    for tag, i1, i2, j1, j2 in opcodes(a, b, work):
        if tag == "equal":
            out.append(escape("".join(a[i1:i2])))
        elif tag == "delete":
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        elif tag == "insert":
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
        else:
            _changed_words("".join(a[i1:i2]), "".join(b[j1:j2]), work, out)
    return "".join(out)


def _cache_key(before: str, after: str) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(before.encode())
    digest.update(b"\x00")
    digest.update(after.encode())
    return f"{CACHE_VERSION}:{digest.hexdigest()}"


def render_diffs(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """HTML diffs of (before, after) pairs; large ones come from and go to the cache at once."""
    large = {
        index: _cache_key(before, after)
        for index, (before, after) in enumerate(pairs)
        if len(before) + len(after) >= CACHE_FROM_CHARS
    }
    cached = cache.get_many(list(large.values())) if large else {}
    fresh: dict[str, str] = {}
    result = []
    for index, (before, after) in enumerate(pairs):
        key = large.get(index)
        if key is not None and key in cached:
            result.append(cached[key])
            continue
        html = html_diff(before, after)
        if key is not None:
            fresh[key] = html
        result.append(html)
    if fresh:
        cache.set_many(fresh, CACHE_SECONDS)
    return result
