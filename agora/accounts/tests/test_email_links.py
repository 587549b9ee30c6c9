"""Links in account emails point at the site's configured address, never at the Host header of
the request that asked for them (a forged host would send the reset key to its owner)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core import mail


@pytest.mark.django_db
def test_the_password_reset_link_uses_the_site_address_not_the_host_header(
    client, alice, settings, django_capture_on_commit_callbacks
):
    settings.AGORA_SITE_URL = "https://agora.example"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/password/reset/", {"email": "alice@example.com"}, HTTP_HOST="localhost:6666"
        )
    assert response.status_code == 302
    body = mail.outbox[0].body
    assert "localhost:6666" not in body
    assert re.search(r"https://agora\.example/accounts/password/reset/key/\S+/", body), body


@pytest.mark.django_db
def test_the_address_verification_link_uses_the_site_address(
    client, settings, django_capture_on_commit_callbacks
):
    from agora.conftest import PASSWORD

    settings.AGORA_SITE_URL = "https://agora.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {
                "username": "newbie",
                "email": "newbie@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
            HTTP_HOST="localhost:6666",
        )
    assert re.search(r"https://agora\.example/accounts/confirm-email/\S+/", mail.outbox[0].body)


def test_an_unknown_reset_email_sends_nothing(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code in (200, 302) and mail.outbox == []


def _site_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AGORA_S")}
    code = "import django; from django.conf import settings; print(settings.AGORA_SITE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", f"import os; {code}"],
        env={**clean, "DJANGO_SETTINGS_MODULE": "agora.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_default_site_address_follows_the_address_served():
    assert _site_url() == "http://127.0.0.1:8000"
    assert _site_url(AGORA_SERVE_ADDR="0.0.0.0:9000") == "http://0.0.0.0:9000"
    assert _site_url(AGORA_SERVE_ADDR="0.0.0.0:9000", AGORA_SITE_URL="https://a.example/") == (
        "https://a.example"
    )
