"""A newcomer in headless Chromium: sign up, verify the email, log in, switch to Chinese, set a
time zone. Runs against pytest-django's live server; Chromium is Debian's package."""

from __future__ import annotations

import os
import re

import pytest
from django.core import mail

from agora.accounts.models import User
from agora.conftest import PASSWORD, wait_for

pytestmark = [pytest.mark.browser]


def test_newcomer_signs_up_verifies_logs_in_switches_to_chinese_and_sets_a_time_zone(
    page, live_server, settings
):
    base = live_server.url
    settings.AGORA_SITE_URL = base  # links in emails are built from the site's address
    page.goto(base + "/")
    page.locator("header").get_by_role("button", name="Sign up").click()
    page.fill("input[name=email]", "mei@example.com")
    page.fill("input[name=username]", "mei")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

    wait_for(lambda: len(mail.outbox) == 1, what="the verification email")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")
    assert User.objects.get(username="mei").emailaddress_set.get().verified

    # Log out, then log in again with the new account.
    page.locator("header summary", has_text="mei").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.locator("header").get_by_role("link", name="Log in").click()
    page.fill("input[name=login]", "mei")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")
    assert page.locator("header summary", has_text="mei").is_visible()

    # The language switcher turns the interface Chinese and remembers it on the profile.
    page.get_by_text("Language", exact=True).click()
    page.get_by_role("button", name="简体中文").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text("最新成员").is_visible()
    assert User.objects.get(username="mei").language == "zh-hans"

    # Time zone: the settings page, in Chinese now.
    page.goto(base + "/settings/preferences/")
    assert page.get_by_role("heading", name="语言和时区").is_visible()
    page.fill("input[name=timezone]", "Asia/Tokyo")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.get_by_text("偏好设置已保存。").is_visible()
    assert "时间按 Asia/Tokyo 时区显示" in page.locator("footer").inner_text()
    assert User.objects.get(username="mei").timezone == "Asia/Tokyo"
    assert page.problems == []


def test_invalid_time_zone_shows_a_message_in_the_browser(page, live_server, django_user_model):
    from agora.conftest import make_member

    make_member("zoe")
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "zoe")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/settings/preferences/")
    page.fill("input[name=timezone]", "Mars/Olympus")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Unknown time zone: Mars/Olympus").is_visible()
    assert django_user_model.objects.get(username="zoe").timezone == ""
    page.screenshot(path=os.environ.get("AGORA_SCREENSHOT", "/tmp/agora-prefs.png"), full_page=True)
