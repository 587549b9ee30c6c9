"""The real worker: a request enqueues on commit, a separate `celery worker` process on the
configured broker (the embedded filesystem transport, or Redis on the PostgreSQL run) runs it."""

import re

import pytest
from django.conf import settings

from agora.conftest import PASSWORD, wait_for
from agora.core.models import OutboundEmail

pytestmark = pytest.mark.worker


def test_signup_email_is_sent_by_the_real_worker(client, celery_worker_process):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    email = OutboundEmail.objects.get()

    def sent() -> bool:
        email.refresh_from_db()
        return email.status == OutboundEmail.Status.SENT

    wait_for(sent, timeout=45, what="the worker to send the email")
    files = list(celery_worker_process["mail_dir"].iterdir())
    assert len(files) == 1
    text = files[0].read_text()
    assert "To: newbie@example.com" in text
    assert re.search(r"/accounts/confirm-email/[\w:-]+/", text)
    log = celery_worker_process["log"].read_text()
    assert "send_outbound_email" in log and "succeeded" in log


def test_healthz_sees_the_live_worker_and_broker(client, celery_worker_process):
    body = client.get("/healthz").json()
    assert body["worker"] == "ok"
    assert body["broker"] == "ok"
    expected = "redis" if settings.REDIS_URL else "filesystem"
    assert settings.CELERY_BROKER_URL.startswith(expected)
