"""Keyset (cursor) pagination, shared by every growing list of the site and the API.

A page is ordered by a key column and the primary key as tie-breaker, both descending (newest
first) or both ascending (soonest first). The cursor is the (key, id) of the last row shown,
base64-encoded; the next page is the rows strictly after it, so a row added or removed meanwhile
never shifts the others and each row is shown once. A cursor that does not decode (garbage, a
cursor of another list's kind) is ignored and the first page is returned, as the API documents.
The key and id columns must be indexed together (a composite index on (key, id), or the key
alone when ties are rare) so that a page costs the same whatever its depth.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db.models import Q, QuerySet

T = TypeVar("T")

Key = datetime | int


def encode_cursor(key: Key, pk: int) -> str:
    """The cursor after a row whose ordering key is `key` (a moment or a whole number)."""
    text = f"{key.timestamp():.6f}" if isinstance(key, datetime) else str(int(key))
    return base64.urlsafe_b64encode(f"{text}:{pk}".encode()).decode()


def decode_cursor(cursor: str | None, *, number: bool = False) -> tuple[Key, int] | None:
    """(key, id) from a cursor, or None when it is absent or does not decode. With `number` the
    key is a whole number, else a moment (UTC)."""
    if not cursor or len(cursor) > 100:
        return None
    try:
        text, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        key: Key = int(text) if number else datetime.fromtimestamp(float(text), tz=UTC)
        position = int(pk)
    except (ValueError, UnicodeDecodeError, OverflowError, OSError):
        return None
    if not (0 < position < 2**63) or (number and abs(key) >= 2**63):  # type: ignore[arg-type]
        return None
    return key, position


def keyset_page(
    queryset: QuerySet,
    *,
    key: str,
    cursor: str | None,
    limit: int,
    descending: bool = True,
    number: bool = False,
    finish: Callable[[list[Any]], Sequence[T]] | None = None,
) -> tuple[list[T], str | None]:
    """One page of `queryset` ordered by (`key`, id), and the cursor of the next page (None on
    the last). `finish` runs on the fetched rows (one more than the page, to know whether there is
    a next) before they are cut to the page; it must keep them in order."""
    sign = "-" if descending else ""
    queryset = queryset.order_by(f"{sign}{key}", f"{sign}id")
    position = decode_cursor(cursor, number=number)
    if position is not None:
        value, pk = position
        after, up_to = ("lt", "lte") if descending else ("gt", "gte")
        # `key <= value` (a range the index seeks to) and then the tie-break: a deep page
        # starts where the cursor is instead of scanning every row before it.
        queryset = queryset.filter(
            Q(**{f"{key}__{up_to}": value})
            & (Q(**{f"{key}__{after}": value}) | Q(**{f"id__{after}": pk}))
        )
    rows = list(queryset[: limit + 1])
    if finish is not None:
        rows = list(finish(rows))
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(getattr(last, key), last.id)
    return rows[:limit], next_cursor
