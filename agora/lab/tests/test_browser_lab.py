"""In Chromium with a real worker: start a run, watch it progress, publish, generate, reproduce
with ✓, and share the image to the forum."""

import pytest

from agora.conftest import PASSWORD, make_member, wait_for
from agora.forum.models import Category, Topic
from agora.lab.models import TrainingRun

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_run_generate_reproduce_and_share(page, live_server, celery_worker_process):
    base = live_server.url
    Category.objects.create(slug="image-generation", name="Image generation")
    make_member("maker")
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "maker")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")

    page.goto(base + "/lab/runs/new/")
    page.fill("input[name=title]", "Browser moons")
    page.select_option("select[name=family]", "diffusion")
    page.select_option("select[name=dataset]", "moons")
    page.fill("input[name=steps]", "600")
    page.get_by_role("button", name="Start training").click()
    page.wait_for_url("**/lab/runs/*/")
    # The page polls: the progress bar moves and the run completes without a reload.
    wait_for(
        lambda: int(page.locator("progress").get_attribute("value") or 0) > 0,
        timeout=120,
        what="the progress bar to move",
    )
    page.locator(".badge.state-completed").wait_for(timeout=180_000)
    assert TrainingRun.objects.get().status == "completed"

    # the finished run says what is next: publishing, then generating
    page.get_by_role("heading", name="Training finished: what next?").wait_for()
    page.fill("input[name=name]", "Browser moons model")
    page.get_by_role("button", name="Publish and start generating").click()
    page.wait_for_url("**/lab/models/*/")

    page.fill("input[name=steps]", "10")
    page.fill("input[name=seed]", "5")
    page.fill("input[name=count]", "4")
    page.locator("main form button[type=submit]", has_text="Generate").click()
    page.wait_for_url("**/lab/generations/*/")
    page.locator(".badge.state-done").wait_for(timeout=120_000)
    page.get_by_role("button", name="Reproduce and verify").click()
    page.get_by_text(
        "Identical on this server: the recipe regenerated exactly the same pixels."
    ).wait_for(timeout=120_000)

    page.go_back()
    page.get_by_role("button", name="Share to gallery").first.click()
    page.wait_for_url("**/gallery/*/")
    page.get_by_role("button", name="Share to forum").click()
    page.wait_for_url("**/new-topic/**")
    page.select_option("select[name=category]", label="Image generation")
    page.get_by_role("button", name="Create topic").click()
    page.wait_for_url("**/t/**")
    topic = Topic.objects.get(title="Browser moons model")
    assert "| Seed | 5 |" in topic.posts.get().raw
    assert page.locator("article.post img").count() >= 1
    assert page.problems == []
