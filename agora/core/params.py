"""Whole numbers from a query string or a form: ids, cursors, page numbers.

`str.isdigit()` is not the test: it accepts "²" and other Unicode digits that `int()` refuses, and
a 23-digit id overflows SQLite's 64-bit integers (PostgreSQL's `integer` at 2**31). Every parse of
a number a visitor typed goes through here and gives None (ignored) instead of a server error."""

from __future__ import annotations

import re

ID_MAX = 2**31 - 1  # PostgreSQL `integer`, the id columns' type
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_int(text: object, *, minimum: int = 0, maximum: int = ID_MAX) -> int | None:
    """The number written in ASCII digits (surrounding blanks ignored) when it lies in
    [minimum, maximum]; None for anything else."""
    if not isinstance(text, str) or not _ASCII_DIGITS.fullmatch(text.strip()):
        return None
    value = int(text.strip())
    return value if minimum <= value <= maximum else None


def parse_id(text: object) -> int | None:
    """A database id (1 to 2**31 - 1), or None."""
    return parse_int(text, minimum=1)


def parse_ids(text: str, *, limit: int) -> list[int]:
    """The valid ids of a comma-separated list, the first `limit` of them; the rest ignored."""
    found = [parse_id(part) for part in text.split(",")]
    return [value for value in found if value is not None][:limit]
