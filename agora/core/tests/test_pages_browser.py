"""Every main page at phone (390 px) and desktop (1280 px) width, as a visitor and as a member,
in English and Chinese: nothing is wider than the screen, and axe-core finds no serious or
critical accessibility violation in the light or the dark theme. Screenshots land in
test-results/screenshots/ (page-width-lang-state.png) for a person to look at."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from agora.core.tests.main_pages import build_main_pages

pytestmark = [pytest.mark.browser]

SCREENSHOTS = Path(settings.BASE_DIR) / "test-results" / "screenshots"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 1280)
LANGUAGES = ("en", "zh-hans")


@pytest.fixture
def main_pages(transactional_db, alice, bob, charlie, staff, settings, tmp_path) -> dict[str, str]:
    settings.MEDIA_ROOT = tmp_path
    return build_main_pages(alice=alice, bob=bob, charlie=charlie, staff=staff)


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _contexts(browser, live_server, alice, *, color_scheme: str = "light") -> Iterator[tuple]:
    """(state, language, page) for a visitor and alice, in each language; one page each."""
    host = live_server.url.split("//")[1].split(":")[0]
    sessions = {"visitor": None, "member": _session_cookie(alice)}
    for state, session in sessions.items():
        for language in LANGUAGES:
            context = browser.new_context(locale="en-US", color_scheme=color_scheme)
            cookies = [{"name": "agora_language", "value": language, "domain": host, "path": "/"}]
            if session:
                cookies.append(
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": session,
                        "domain": host,
                        "path": "/",
                    }
                )
            context.add_cookies(cookies)
            page = context.new_page()
            page.set_default_timeout(15_000)
            try:
                yield state, language, page
            finally:
                context.close()


def pages_wider_than_the_screen(
    browser, live_server, alice, pages: dict[str, str], *, widths=WIDTHS, prefix: str = ""
) -> list[str]:
    """Open each page at each width, as a visitor and alice, in each language; save a full-page
    screenshot `<prefix><name>-<width>-<lang>-<state>.png`; return the pages that scroll
    sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    too_wide = []
    for state, language, page in _contexts(browser, live_server, alice):
        lang = "zh" if language.startswith("zh") else "en"
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages.items():
                response = page.goto(live_server.url + path)
                assert response.status == 200, f"{path} as {state}: {response.status}"
                page.wait_for_load_state("load")
                scroll, inner = page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll > inner:
                    too_wide.append(f"{name} at {width} px, {lang}, {state}: {scroll} px")
                shot = SCREENSHOTS / f"{prefix}{name}-{width}-{lang}-{state}.png"
                page.screenshot(path=str(shot), full_page=True)
    return too_wide


def test_no_main_page_is_wider_than_the_screen(browser, live_server, main_pages, alice):
    too_wide = pages_wider_than_the_screen(browser, live_server, alice, main_pages)
    assert not too_wide, "\n".join(too_wide)


def test_the_header_menu_reaches_search_language_and_log_out_on_a_phone(
    browser, live_server, main_pages, alice
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for state, language, page in _contexts(browser, live_server, alice):
        if language != "en":
            continue
        page.set_viewport_size({"width": 390, "height": 800})
        page.goto(live_server.url + main_pages["latest"])
        header = page.locator("header")
        assert header.get_by_role("searchbox", name="Search").is_visible()
        header.locator("summary", has_text="Menu").click()
        menu = header.locator(".site-menu")
        page.screenshot(path=str(SCREENSHOTS / f"menu-390-en-{state}.png"))
        assert menu.get_by_role("link", name="Gallery").is_visible()
        assert menu.get_by_role("button", name="简体中文").is_visible()
        if state == "member":
            assert header.get_by_role("link", name="Notifications").is_visible()
            log_out = menu.get_by_role("button", name="Log out")
            assert log_out.is_visible()
            box = log_out.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        else:
            assert menu.get_by_role("link", name="Sign up").is_visible()
            menu.get_by_role("link", name="Log in").click()
            page.wait_for_url(live_server.url + "/accounts/login/")


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `npm ci` (make assets)")
def test_main_pages_have_no_serious_accessibility_violations(
    browser, live_server, main_pages, alice
):
    axe = AXE.read_text()
    found = []
    for scheme in ("light", "dark"):
        for state, language, page in _contexts(browser, live_server, alice, color_scheme=scheme):
            page.set_viewport_size({"width": 1280, "height": 900})
            for name, path in main_pages.items():
                page.goto(live_server.url + path)
                page.evaluate(axe)  # CDP evaluation is not an inline script: the CSP allows it
                result = page.evaluate(
                    "axe.run(document, {resultTypes: ['violations']})"
                    ".then(r => JSON.stringify(r.violations))"
                )
                for violation in json.loads(result):
                    if violation["impact"] in ("serious", "critical"):
                        node = violation["nodes"][0]
                        why = (node["any"] or node["all"] or [{"message": ""}])[0]["message"]
                        found.append(
                            f"{name} ({scheme}, {language}, {state}): {violation['id']} "
                            f"{len(violation['nodes'])}x {node['target']} {why[:120]}"
                        )
    assert not found, "\n".join(found)
