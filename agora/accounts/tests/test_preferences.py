from datetime import UTC, datetime

import pytest

from agora.accounts.models import User


@pytest.mark.django_db
def test_language_follows_accept_language_for_visitors(client):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-hans"' in body
    assert "登录" in body


@pytest.mark.django_db
def test_the_switcher_cookie_beats_accept_language(client):
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["agora_language"].value == "zh-hans"
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="zh-hans"' in body


@pytest.mark.django_db
def test_a_members_setting_beats_the_cookie(client, alice):
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    client.cookies["agora_language"] = "en"
    assert 'lang="zh-hans"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_switching_language_while_logged_in_saves_it_to_the_profile(alice_client, alice):
    alice_client.post("/i18n/setlang/", {"language": "zh-hans"})
    alice.refresh_from_db()
    assert alice.language == "zh-hans"


@pytest.mark.django_db
def test_unknown_language_code_is_refused_with_a_message(alice_client, alice):
    response = alice_client.post(
        "/i18n/setlang/", {"language": "xx-evil", "next": "/"}, follow=True
    )
    assert "Unknown language code: xx-evil" in response.content.decode()
    alice.refresh_from_db()
    assert alice.language == ""
    assert "agora_language" not in response.cookies


@pytest.mark.django_db
def test_setlang_never_redirects_off_site(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_preferences_set_time_zone_and_times_render_in_it(alice_client, alice):
    User.objects.filter(pk=alice.pk).update(date_joined=datetime(2026, 1, 1, 20, 0, tzinfo=UTC))
    response = alice_client.post(
        "/settings/preferences/", {"language": "", "timezone": "Asia/Shanghai"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.timezone == "Asia/Shanghai"
    body = alice_client.get("/u/alice/").content.decode()
    assert "Jan. 2, 2026" in body  # 20:00 UTC is the next morning in Shanghai
    assert "Times are shown in Asia/Shanghai" in body


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "UTC+25"])
def test_invalid_time_zone_is_refused_and_changes_nothing(alice_client, alice, bad):
    response = alice_client.post("/settings/preferences/", {"language": "", "timezone": bad})
    assert response.status_code == 400
    assert "Unknown time zone" in response.content.decode()
    alice.refresh_from_db()
    assert alice.timezone == ""


@pytest.mark.django_db
def test_invalid_language_in_preferences_is_refused(alice_client, alice):
    response = alice_client.post("/settings/preferences/", {"language": "klingon", "timezone": ""})
    assert response.status_code == 400
    assert "Unknown language code" in response.content.decode()


@pytest.mark.django_db
def test_browser_time_zone_cookie_is_used_for_visitors(client):
    response = client.post("/i18n/settz/", {"timezone": "America/New_York"})
    assert response.status_code == 200
    body = client.get("/").content.decode()
    assert "Times are shown in America/New_York" in body


@pytest.mark.django_db
def test_invalid_browser_time_zone_is_refused(client):
    response = client.post("/i18n/settz/", {"timezone": "Nowhere/Land"})
    assert response.status_code == 400
    assert "agora_tz" not in response.cookies
