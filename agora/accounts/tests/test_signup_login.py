import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from agora.accounts.models import User
from agora.conftest import PASSWORD
from agora.core.models import OutboundEmail

SIGNUP = "/accounts/signup/"
LOGIN = "/accounts/login/"


def signup(client, capture, **overrides):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }
    with capture(execute=True):
        return client.post(SIGNUP, data)


def confirmation_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.mark.django_db
def test_signup_sends_a_verification_email_through_the_outbox(
    client, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(username="newbie")
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2$")
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newbie@example.com"]
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


@pytest.mark.django_db
def test_the_link_in_the_email_verifies_the_address_and_logs_in(
    client, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    link = confirmation_link(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="newbie@example.com").verified
    assert client.get("/").context["user"].username == "newbie"


@pytest.mark.django_db
def test_a_wrong_verification_link_says_so_and_verifies_nothing(
    client, django_capture_on_commit_callbacks
):
    signup(client, django_capture_on_commit_callbacks)
    response = client.get("/accounts/confirm-email/not-a-real-key/")
    assert "expired or is invalid" in response.content.decode()
    client.post("/accounts/confirm-email/not-a-real-key/")
    assert not EmailAddress.objects.get(email="newbie@example.com").verified


@pytest.mark.django_db
def test_duplicate_email_is_refused_with_a_message(
    client, alice, django_capture_on_commit_callbacks
):
    response = signup(client, django_capture_on_commit_callbacks, email="ALICE@example.com")
    assert response.status_code == 200
    assert "already registered with this email address" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_duplicate_username_is_refused(client, alice, django_capture_on_commit_callbacks):
    response = signup(client, django_capture_on_commit_callbacks, username="Alice")
    assert response.status_code == 200
    assert "username already exists" in response.content.decode()
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_weak_password_is_refused(client, django_capture_on_commit_callbacks):
    response = signup(
        client, django_capture_on_commit_callbacks, password1="12345678", password2="12345678"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "too common" in body or "too short" in body
    assert not User.objects.exists()


@pytest.mark.django_db
def test_signup_errors_come_in_chinese_for_a_chinese_browser(
    client, alice, django_capture_on_commit_callbacks
):
    client.cookies["agora_language"] = "zh-hans"
    response = signup(client, django_capture_on_commit_callbacks, email="alice@example.com")
    assert "此邮箱" in response.content.decode() or "已经" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["alice", "alice@example.com"])
def test_login_with_username_or_email(client, alice, login):
    response = client.post(LOGIN, {"login": login, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").context["user"] == alice


@pytest.mark.django_db
def test_wrong_password_does_not_log_in(client, alice):
    response = client.post(LOGIN, {"login": "alice", "password": "nope-nope-nope"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out_with_a_clear_message(client, alice):
    for _ in range(5):
        client.post(LOGIN, {"login": "alice", "password": "wrong-password"})
    response = client.post(LOGIN, {"login": "alice", "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_logout_needs_a_post_and_ends_the_session(alice_client):
    alice_client.post("/accounts/logout/")
    assert not alice_client.get("/").context["user"].is_authenticated


@pytest.mark.django_db
def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    form_page = client.get(link.group(1), follow=True)
    new = "a brand new passphrase 42"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new, "password2": new},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


@pytest.mark.django_db
def test_change_password_needs_the_old_one(alice_client, alice):
    new = "another long passphrase 7"
    bad = alice_client.post(
        "/accounts/password/change/", {"oldpassword": "wrong", "password1": new, "password2": new}
    )
    assert bad.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    ok = alice_client.post(
        "/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new}
    )
    assert ok.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new)


@pytest.mark.django_db
def test_change_email_verifies_the_new_address_first(
    alice_client, alice, bob, django_capture_on_commit_callbacks
):
    taken = alice_client.post("/accounts/email/", {"action_add": "", "email": "bob@example.com"})
    assert "already" in taken.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/accounts/email/", {"action_add": "", "email": "alice@new.example.com"})
    assert mail.outbox[-1].to == ["alice@new.example.com"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"  # unchanged until verified
