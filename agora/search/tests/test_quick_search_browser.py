"""The quick-search dropdown opens below the box being typed in, never over it, at phone and
desktop widths, for a visitor and a member (headless Chromium, Debian's package)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from agora.forum import services as forum
from agora.forum.models import Category
from agora.search.services import index_topic

pytestmark = [pytest.mark.browser]


@pytest.fixture
def foxes(transactional_db, alice):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    for i in range(6):
        topic = forum.create_topic(
            author=alice,
            category=lounge,
            title=f"Glowing fox number {i}",
            raw=f"A glowing fox prompt, variant {i}.",
        )
        index_topic(topic_id=topic.id)


def _login(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    host = live_server.url.split("//")[1].split(":")[0]
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": value, "domain": host, "path": "/"}]
    )


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("member", [False, True])
def test_quick_results_open_below_the_search_box_and_leave_it_usable(
    browser, live_server, foxes, alice, width, member
):
    context = browser.new_context(locale="en-US", viewport={"width": width, "height": 800})
    if member:
        _login(context, live_server, alice)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + "/gallery/")
        box = page.locator("header input[type=search]").first
        assert box.is_visible()  # in the header at both widths, not folded into the menu
        box.click()
        box.type("glowing fox")
        results = page.locator("#search-quick .search-quick-results").first
        results.wait_for(state="visible")
        assert "Glowing fox number" in results.inner_text()
        typed = box.bounding_box()
        shown = results.bounding_box()
        assert shown["y"] >= typed["y"] + typed["height"] - 0.5, (typed, shown)
        assert shown["x"] >= -0.5 and shown["x"] + shown["width"] <= width + 0.5
        # the point under the middle of the box is still the box: nothing covers it
        covering = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y) === document.querySelector("
            "'header input[type=search]')",
            [typed["x"] + typed["width"] / 2, typed["y"] + typed["height"] / 2],
        )
        assert covering, "the quick results cover the search box"
        box.type(" number 3")  # typing on works and the results follow
        page.wait_for_function(
            "() => (document.querySelector('#search-quick')?.innerText || '')"
            ".includes('Glowing fox number 3')"
        )
        assert box.input_value() == "glowing fox number 3"
    finally:
        context.close()
