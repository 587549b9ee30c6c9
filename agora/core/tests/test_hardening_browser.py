"""The hostile corpus in headless Chromium: on the pages where it shows, nothing runs. A dialog
listener catches alert(); `window.__xss` is the canary every other payload would set."""

from __future__ import annotations

import pytest

from agora.conftest import PASSWORD
from agora.core.tests import hostile

pytestmark = [pytest.mark.browser]


def test_no_hostile_payload_runs_in_the_browser(
    page, live_server, alice, bob, staff, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    pages = hostile.build(alice=alice, bob=bob, staff=staff)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "bob")  # bob reads alice's private message too
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")

    for name in ["topic", "message", "profile", "article", "event", "work", "model", "search"]:
        page.goto(live_server.url + pages[name])
        page.wait_for_load_state("load")
        # hover and focus everything a payload might hang a handler on, and let mermaid render
        for element in page.locator("main a, main img, main details").all()[:40]:
            try:
                element.hover(timeout=200)
            except Exception:  # noqa: S112 (hidden or detached: nothing to hover)
                continue
        page.wait_for_timeout(150)
        assert page.evaluate("window.__xss === undefined"), name
        assert page.title(), name
        if name in {"topic", "message", "profile"}:  # the payloads did reach the page, as text
            assert "window.__xss=1" in page.inner_text("main"), name
    assert dialogs == []
