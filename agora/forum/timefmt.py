"""Timestamps of topic lists and posts, as Django writes them, at a fraction of the cost.

A topic page shows 20 posts and a list 30 topics, each with a relative time (`naturaltime`) and
a localised date and time (`{{ moment }}`). Django works both out from scratch every time:
calendar arithmetic, then lazy translations, formats and `%` interpolation. Here the arithmetic
is the same, and the words are cached per language and value:

- `natural_time(value)` is `django.contrib.humanize`'s `naturaltime(value)` for a past moment a
  day or more ago (the usual case): `timesince`'s calendar-aware years, months, weeks, days,
  hours and minutes, then "… ago" built once per (language, units). Anything else (less than a
  day, the future, naive values) goes to `naturaltime` itself.
- `shown_time(moment, use_l10n)` is `localize(moment)`: DATETIME_FORMAT of the active
  language, each format character written once per language and date (or hour and minute).
  Formats with time zone characters go to `localize` itself.

tests/test_timefmt.py compares both with Django's own output over thousands of moments.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.contrib.humanize.templatetags.humanize import NaturalTimeFormatter, naturaltime
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format, localize
from django.utils.html import avoid_wrapping
from django.utils.translation import get_language, gettext

# django.utils.timesince, which naturaltime calls for a day or more
_CHUNKS = (60 * 60 * 24 * 7, 60 * 60 * 24, 60 * 60, 60)
_UNITS = ("year", "month", "week", "day", "hour", "minute")
_MONTHS_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# timesince's ", " between units, translated by Django's own catalogue (a name, not a literal,
# so that our message extraction does not take it into ours)
_SEPARATOR = ", "


def _partials(d: dt.datetime, now: dt.datetime) -> list[int]:
    """timesince()'s units between d and now (now later by a day or more, same zone)."""
    total_months = (now.year - d.year) * 12 + (now.month - d.month)
    if d.day > now.day or (d.day == now.day and d.time() > now.time()):
        total_months -= 1
    years, months = divmod(total_months, 12)
    if years or months:
        pivot_year = d.year + years
        pivot_month = d.month + months
        if pivot_month > 12:
            pivot_month -= 12
            pivot_year += 1
        pivot = dt.datetime(
            pivot_year,
            pivot_month,
            min(_MONTHS_DAYS[pivot_month - 1], d.day),
            d.hour,
            d.minute,
            d.second,
            tzinfo=d.tzinfo,
        )
    else:
        pivot = d
    remaining = (now - pivot).total_seconds()
    partials = [years, months]
    for chunk in _CHUNKS:
        count = int(remaining // chunk)
        partials.append(count)
        remaining -= chunk * count
    return partials


@lru_cache(maxsize=4096)
def _ago(language: str | None, shown: tuple[tuple[str, int], ...]) -> str:
    """ "2 months, 3 weeks ago" in the active language (the cache key's language)."""
    del language
    strings = NaturalTimeFormatter.past_substrings
    if not shown:
        delta = avoid_wrapping(strings["minute"] % {"num": 0})
    else:
        delta = gettext(_SEPARATOR).join(
            avoid_wrapping(strings[name] % {"num": value}) for name, value in shown
        )
    return str(NaturalTimeFormatter.time_strings["past-day"] % {"delta": delta})


def natural_time(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """naturaltime(value): the same text, as of `now` (default: the current time)."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        return naturaltime(value)
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if value >= now or (now - value).days == 0:
        return naturaltime(value)  # seconds, minutes, hours, the future: Django's own
    now = now.astimezone(value.tzinfo)
    if (now - value).days * 86400 + (now - value).seconds <= 0:
        return naturaltime(value)
    partials = _partials(value, now)
    shown: list[tuple[str, int]] = []
    start = next((i for i, v in enumerate(partials) if v), None)
    if start is not None:
        for i in range(start, min(start + 2, len(_UNITS))):  # timesince's depth=2
            if partials[i] == 0:
                break
            shown.append((_UNITS[i], partials[i]))
    return _ago(get_language(), tuple(shown))


_TIME_CHARS = frozenset("aAfgGhHiP")  # the hour and minute decide these
_DATE_CHARS = frozenset("bdDEFjlLmMnNoStwWyYz")  # the date (and language) decides these


@lru_cache(maxsize=64)
def _plan(language: str | None, use_l10n: bool | None) -> tuple[tuple[int, str], ...] | None:
    """DATETIME_FORMAT as (0, literal) / (1, date char) / (2, time char), or None when it has
    characters that depend on more (seconds, time zone): those go to localize()."""
    del language
    plan = []
    for i, piece in enumerate(
        re_formatchars.split(str(get_format("DATETIME_FORMAT", use_l10n=use_l10n)))
    ):
        if i % 2:
            if piece in _DATE_CHARS:
                plan.append((1, piece))
            elif piece in _TIME_CHARS:
                plan.append((2, piece))
            else:
                return None
        elif piece:
            plan.append((0, re_escaped.sub(r"\1", piece)))
    return tuple(plan)


@lru_cache(maxsize=8192)
def _date_char(language: str | None, char: str, day: dt.date) -> str:
    del language
    return str(getattr(DateFormat(day), char)())


@lru_cache(maxsize=4096)
def _time_char(language: str | None, char: str, hour: int, minute: int) -> str:
    del language
    return str(getattr(DateFormat(dt.datetime(2000, 1, 1, hour, minute)), char)())


def shown_time(moment: dt.datetime, use_l10n: bool | None = None) -> str:
    """localize(moment) for a datetime: the active language's DATETIME_FORMAT."""
    language = get_language()
    plan = _plan(language, use_l10n)
    if plan is None:
        return localize(moment, use_l10n=use_l10n)
    day, hour, minute = moment.date(), moment.hour, moment.minute
    out = []
    for kind, text in plan:
        if kind == 0:
            out.append(text)
        elif kind == 1:
            out.append(_date_char(language, text, day))
        else:
            out.append(_time_char(language, text, hour, minute))
    return "".join(out)
