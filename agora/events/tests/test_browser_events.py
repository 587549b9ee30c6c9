"""In Chromium: create an event in one time zone, see it in another, and RSVP past capacity."""

import pytest

from agora.conftest import PASSWORD, make_member
from agora.events.models import RSVP, Event
from agora.forum.models import Category

pytestmark = [pytest.mark.browser]


def log_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")


def test_event_across_time_zones_and_the_waiting_list(page, live_server):
    base = live_server.url
    Category.objects.create(slug="events", name="Events")
    make_member("host", timezone="Asia/Shanghai")
    make_member("guest", timezone="Europe/London")
    make_member("late", timezone="America/New_York")

    log_in(page, base, "host")
    page.goto(base + "/events/new/")
    page.fill("input[name=title]", "Seminar: latent diffusion on a laptop")
    page.select_option("select[name=kind]", "seminar")
    page.fill("textarea[name=description]", "We train a VAE, then diffuse in its latent space.")
    page.fill("input[name=starts_at]", "2031-03-10T20:00")
    page.fill("input[name=ends_at]", "2031-03-10T22:00")
    page.fill("input[name=timezone]", "Asia/Shanghai")
    page.fill("input[name=venue]", "Shanghai, Xuhui")
    page.fill("input[name=capacity]", "1")
    page.get_by_role("button", name="Create event").click()
    page.wait_for_url("**/events/*/")
    assert "Mon, 10 Mar 2031, 20:00" in page.locator(".event-when").inner_text()
    event = Event.objects.get()

    page.context.clear_cookies()
    log_in(page, base, "guest")
    page.goto(base + event.get_absolute_url())
    assert "Mon, 10 Mar 2031, 12:00" in page.locator(".event-when").inner_text()  # London
    page.get_by_role("button", name="RSVP").click()
    assert page.get_by_text("You are going.").is_visible()

    page.context.clear_cookies()
    log_in(page, base, "late")
    page.goto(base + event.get_absolute_url())
    assert "Mon, 10 Mar 2031, 08:00" in page.locator(".event-when").inner_text()  # New York (EDT)
    page.get_by_role("button", name="Join the waiting list").click()
    assert page.get_by_text("You are number 1 on the waiting list.").is_visible()
    assert sorted(RSVP.objects.values_list("status", flat=True)) == ["going", "waitlist"]
    assert page.problems == []
