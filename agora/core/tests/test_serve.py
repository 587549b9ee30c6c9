"""`manage.py serve` (what `make run` starts) keeps a worker for the default queue: a training
queue kept busy never holds up emails, notifications and indexing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agora.celery import app as celery_app
from agora.conftest import database_url_for_subprocess, wait_for
from agora.core.models import OutboundEmail, WorkerHeartbeat
from agora.core.tasks import send_outbound_email
from agora.forum.models import Category
from agora.forum.services import create_post, create_topic
from agora.notifications.models import Notification

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def silent_smtp():
    """An SMTP server that accepts connections and never answers: a send hangs there."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def served(transactional_db, tmp_path, silent_smtp):
    """`manage.py serve` in its own process group (web server and both workers), stopped with
    everything it started."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "AGORA_WORKER_HEARTBEAT_SECONDS": "1",
        "EMAIL_URL": f"smtp://127.0.0.1:{silent_smtp}",
    }
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve",
            "--addr",
            f"127.0.0.1:{port}",
            "--concurrency",
            "1",
            "--training-concurrency",
            "1",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    try:
        yield process
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
                process.wait(timeout=20)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue
        log.close()
        celery_app.conf.task_always_eager = True


def test_with_the_training_queue_busy_a_reply_still_notifies(served, alice, bob):
    def workers() -> set[str]:
        return set(WorkerHeartbeat.objects.values_list("queues", flat=True))

    wait_for(
        lambda: workers() == {"default", "training"},
        timeout=90,
        what="serve to start a default worker and a training worker",
    )

    # The training worker's only slot is taken by a job that never ends (it waits on an SMTP
    # server that never answers), and another waits behind it.
    stuck = [
        OutboundEmail.objects.create(
            to=[f"t{n}@example.com"], subject="Busy", body_text=".", from_email="a@example.com"
        )
        for n in range(2)
    ]
    for email in stuck:
        send_outbound_email.apply_async(args=[email.id], queue="training")
    wait_for(
        lambda: OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count() == 1,
        timeout=60,
        what="the training worker to be busy",
    )

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    topic = create_topic(author=alice, category=lounge, title="Anyone there?", raw="Hello.")
    create_post(author=bob, topic=topic, raw="Yes, the default queue has its own worker.")
    wait_for(
        lambda: Notification.objects.filter(user=alice, kind="reply").exists(),
        timeout=60,
        what="the default worker to notify alice of bob's reply",
    )
    # The training queue was busy the whole time (alice's own reply email, if any, is the
    # default queue's and may be queued or sent by now).
    stuck_ids = [email.id for email in stuck]
    statuses = sorted(
        OutboundEmail.objects.filter(pk__in=stuck_ids).values_list("status", flat=True)
    )
    assert statuses == ["queued", "sending"]
