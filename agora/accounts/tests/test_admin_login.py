"""The administration signs in through the site's login page and its failed-login throttle; its
own form (which has no throttle) is never offered."""

from __future__ import annotations

import pytest
from django.test import Client

from agora.conftest import PASSWORD


def _is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_admin_login_sends_to_the_site_login(staff):
    client = Client()
    to_admin = client.get("/admin/")
    assert to_admin.status_code == 302 and to_admin["Location"].startswith("/admin/login/")
    login = client.get(to_admin["Location"])
    assert login.status_code == 302
    assert login["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    # the site login signs staff in and lands on the administration
    response = client.post(
        login["Location"], {"login": staff.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/admin/"
    assert response.status_code == 200 and b"Site administration" in response.content


@pytest.mark.django_db
def test_guessing_staff_passwords_at_the_admin_form_checks_nothing(staff):
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": staff.username, "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not _is_logged_in(client)


@pytest.mark.django_db
def test_failed_logins_for_staff_are_throttled_even_when_they_start_at_the_admin(staff):
    client = Client()
    login = client.get("/admin/login/?next=/admin/")["Location"]
    for attempt in range(6):
        client.post(login, {"login": staff.username, "password": f"wrong {attempt}"})
    response = client.post(login, {"login": staff.username, "password": PASSWORD})
    assert not _is_logged_in(client)
    assert b"Too many failed login attempts" in response.content


@pytest.mark.django_db
def test_members_are_refused_the_administration(alice):
    client = Client()
    client.force_login(alice)
    assert client.get("/admin/login/?next=/admin/").status_code == 403


@pytest.mark.django_db
def test_admin_login_ignores_a_next_address_off_the_site(staff):
    anonymous = Client()
    response = anonymous.get("/admin/login/?next=https://evil.example/steal")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/login/?next=//evil.example/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
