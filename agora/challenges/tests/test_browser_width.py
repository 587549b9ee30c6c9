"""Challenge pages on a phone: the list, a challenge with a two-page leaderboard (page 1 and 2),
the contests list and a contest in voting, at 390 px, in English and Chinese, as a visitor and
as a member: nothing is wider than the screen. Screenshots go to test-results/screenshots/
(challenge-<page>-390-<lang>-<state>.png) for a person to look at (docs/development.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agora.challenges import services
from agora.challenges.models import Contest, Entry
from agora.core.tests.test_pages_browser import pages_wider_than_the_screen

pytestmark = [pytest.mark.browser]


@pytest.fixture
def challenge_pages(transactional_db, alice, bob, staff, settings, tmp_path) -> dict[str, str]:
    from agora.challenges.selectors import BOARD_PAGE_SIZE
    from agora.challenges.tests.test_contests import work
    from agora.challenges.tests.test_pages import scored

    settings.MEDIA_ROOT = tmp_path
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    alice.display_name = "Alice Wonderland-Longname Generative Enthusiast"
    alice.save(update_fields=["display_name"])
    now = timezone.now()
    challenge = services.create_challenge(
        creator=staff,
        title="Moons in a CPU-minute, with a rather long title for a phone screen",
        title_zh="一分钟 CPU 拟合双月：一个在手机屏幕上相当长的标题",
        description="Fit the **moons** within one CPU-minute. " * 8,
        description_zh="在一分钟 CPU 内拟合 **双月**。" * 8,
        task="density-2d",
        dataset="moons",
        metric="mmd2",
        cpu_budget_minutes=1,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3),
        count=200,
        max_steps=10,
    )
    for i in range(BOARD_PAGE_SIZE + 4):
        scored(challenge, alice if i % 2 else bob, 0.0123456 + i * 1e-4, 30 + i, is_fork=i == 3)
    contest = Contest.objects.create(
        creator=staff,
        title="Night skies over long mountain ranges",
        theme="Stars, moons and the long exposure",
        rules="One work each.",
        rules_html="<p>One work each.</p>",
        opens_at=now - timedelta(days=2),
        entries_close_at=now - timedelta(hours=1),
        voting_closes_at=now + timedelta(days=2),
    )
    for member in (alice, bob):
        Entry.objects.create(contest=contest, work=work(member, f"{member} sky"), entrant=member)
    return {
        "list": "/challenges/",
        "detail": challenge.get_absolute_url(),
        "leaderboard-page2": challenge.get_absolute_url() + "?page=2",
        "contests": "/challenges/contests/",
        "contest": contest.get_absolute_url(),
    }


def test_no_challenge_page_is_wider_than_a_phone(browser, live_server, challenge_pages, alice):
    too_wide = pages_wider_than_the_screen(
        browser, live_server, alice, challenge_pages, widths=(390,), prefix="challenge-"
    )
    assert not too_wide, "\n".join(too_wide)
