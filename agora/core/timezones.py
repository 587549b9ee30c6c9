from __future__ import annotations

import zoneinfo
from functools import cache


@cache
def all_timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones() - {"localtime", "Factory"}))


@cache
def _timezone_set() -> frozenset[str]:
    return frozenset(all_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in _timezone_set()
