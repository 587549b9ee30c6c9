"""The cheap timestamps write exactly what Django's naturaltime and localize write."""

from __future__ import annotations

import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.humanize.templatetags import humanize
from django.utils import translation
from django.utils.formats import localize
from django.utils.timezone import localtime

from agora.forum.timefmt import natural_time, shown_time

NOW = datetime(2026, 3, 31, 13, 7, 45, 123456, tzinfo=UTC)


def _moments(count: int) -> list[datetime]:
    rng = random.Random(7)
    spans = [60, 3600, 86400, 86400 * 40, 86400 * 800]
    moments = [
        NOW
        - timedelta(
            seconds=rng.randrange(1, rng.choice(spans) * 3), microseconds=rng.randrange(10**6)
        )
        for _ in range(count)
    ]
    # Month ends, leap days, exact day boundaries and the future.
    moments += [
        datetime(2024, 2, 29, 13, 7, 45, tzinfo=UTC),
        datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2025, 3, 31, 13, 7, 45, 123456, tzinfo=UTC),
        datetime(2025, 3, 31, 13, 7, 46, tzinfo=UTC),
        NOW - timedelta(days=1),
        NOW - timedelta(days=1, microseconds=-1),
        NOW - timedelta(days=7),
        NOW + timedelta(days=3),
        NOW + timedelta(minutes=3),
        NOW,
    ]
    return moments


class _FrozenDatetime(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW if tz is not None else NOW.replace(tzinfo=None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_natural_time_is_naturaltime(language, monkeypatch):
    monkeypatch.setattr(humanize, "datetime", _FrozenDatetime)
    with translation.override(language):
        for moment in _moments(3000):
            assert natural_time(moment, NOW) == humanize.naturaltime(moment), moment


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_shown_time_is_localize(language, zone):
    tz = zoneinfo.ZoneInfo(zone)
    with translation.override(language):
        for moment in _moments(1500):
            local = localtime(moment, tz)
            assert shown_time(local) == localize(local), local
            assert shown_time(local, use_l10n=True) == localize(local, use_l10n=True)
