"""In Chromium with a real worker: staff create a challenge, a member trains a tiny run, enters
it, and sees it scored and ✓ verified on the leaderboard; and a contest runs through voting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agora.challenges.models import Challenge, Contest, Entry
from agora.conftest import PASSWORD, make_member
from agora.forum.models import Category

pytestmark = [pytest.mark.browser]


def log_in(page, base, username):
    page.goto(base + "/accounts/logout/")
    if page.locator("main form button[type=submit]").count():
        page.locator("main form button[type=submit]").click()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")


@pytest.mark.worker
def test_create_a_challenge_enter_a_run_and_see_it_verified(
    page, live_server, celery_worker_process
):
    base = live_server.url
    Category.objects.create(slug="image-generation", name="Image generation")
    make_member("organiser", is_staff=True)
    make_member("maker")
    log_in(page, base, "organiser")
    page.goto(base + "/challenges/new/")
    page.fill("input[name=title]", "Browser moons")
    page.fill("textarea[name=description]", "Fit the **moons**.")
    page.select_option("select[name=task]", "density-2d")
    page.select_option("select[name=dataset]", "moons")
    page.select_option("select[name=metric]", "mmd2")
    page.fill("input[name=count]", "200")
    page.fill("input[name=max_steps]", "10")
    now = timezone.localtime()
    page.fill("input[name=opens_at]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=closes_at]", (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create the challenge").click()
    page.wait_for_url("**/challenges/*/")
    challenge = Challenge.objects.get()

    log_in(page, base, "maker")
    page.goto(base + "/lab/runs/new/")
    page.fill("input[name=title]", "Tiny moons")
    page.select_option("select[name=family]", "diffusion")
    page.select_option("select[name=dataset]", "moons")
    page.fill("input[name=steps]", "40")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url("**/lab/runs/*/")
    page.locator(".badge.state-completed").wait_for(timeout=180_000)

    page.goto(base + challenge.get_absolute_url())
    page.select_option("select[name=sampler]", "ddim")
    page.fill("input[name=steps]", "10")
    page.get_by_role("button", name="Submit for evaluation").click()
    page.wait_for_url("**" + challenge.get_absolute_url())
    for _attempt in range(90):  # the worker rebuilds the run: seconds for a 2-D toy
        if page.locator("#leaderboard .verified").count():
            break
        page.wait_for_timeout(2000)
        page.reload()
    row = page.locator("#leaderboard tbody tr").first
    assert "✓ verified" in row.inner_text() and "maker" in row.inner_text()
    page.locator("canvas.pareto-chart").wait_for()


def test_a_contest_runs_through_voting(page, live_server, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agora.challenges import services
    from agora.core.tests.world import _png
    from agora.gallery.services import upload_work

    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    make_member("organiser", is_staff=True)
    artist = make_member("artist")
    make_member("voter")
    work, _notes = upload_work(
        author=artist, upload=SimpleUploadedFile("w.png", _png()), title="Starry lake"
    )
    log_in(page, base, "organiser")
    page.goto(base + "/challenges/contests/new/")
    page.fill("input[name=title]", "Night skies")
    page.fill("input[name=theme]", "Stars")
    now = timezone.localtime()
    page.fill("input[name=opens_at]", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=entries_close_at]", (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("input[name=voting_closes_at]", (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Create the contest").click()
    page.wait_for_url("**/challenges/contests/*/")
    contest = Contest.objects.get()

    log_in(page, base, "artist")
    page.goto(base + contest.get_absolute_url())
    page.select_option("select[name=work]", str(work.id))
    page.get_by_role("button", name="Enter", exact=True).click()
    page.get_by_text("Your work is entered.").wait_for()
    # entries close: voting opens
    Contest.objects.filter(pk=contest.pk).update(
        entries_close_at=timezone.now() - timedelta(minutes=1)
    )
    log_in(page, base, "voter")
    page.goto(base + contest.get_absolute_url())
    page.get_by_role("button", name="Vote").click()
    page.get_by_text("Your vote is counted").wait_for()
    assert "1 vote" not in page.content()  # hidden until voting closes
    Contest.objects.filter(pk=contest.pk).update(voting_closes_at=timezone.now())
    services.finish_due_contests()
    page.goto(base + contest.get_absolute_url())
    assert "#1" in page.content() and "1 vote" in page.content()
    assert Entry.objects.get().final_rank == 1
    page.goto(base + "/")
    page.get_by_text("Starry lake").first.wait_for()
