"""Durations read as people say them, in both languages."""

import pytest
from django.utils import translation

from agora.core.templatetags.durations import about


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (20, "less than a minute", "不到 1 分钟"),
        (61, "about 1 minute", "约 1 分钟"),
        (302, "about 5 minutes", "约 5 分钟"),
        (240, "about 4 minutes", "约 4 分钟"),
        (3600, "about 1 hour", "约 1 小时"),
        (5400, "about 1.5 hours", "约 1.5 小时"),
        (7300, "about 2 hours", "约 2 小时"),
    ],
)
def test_durations_read_naturally_in_english_and_chinese(seconds, english, chinese):
    with translation.override("en"):
        assert about(seconds) == english
    with translation.override("zh-hans"):
        assert about(seconds) == chinese
    assert about("garbage") == ""
