"""Faults: a full disk while uploading, the database going away under a running server, Redis
(cache and broker) down. Each fails cleanly with a clear message, loses nothing, and recovers
without restarting anything."""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.request import urlopen

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from PIL import Image

from agora.conftest import database_url_for_subprocess

ROOT = Path(__file__).resolve().parents[3]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lounge(db):
    from agora.forum.models import Category

    return Category.objects.create(slug="lounge", name="Lounge")


# --- disk full -------------------------------------------------------------------------------


@pytest.fixture
def full_disk(settings, tmp_path, monkeypatch):
    """Writes under MEDIA_ROOT get a few bytes through, then ENOSPC, like a disk filling up."""
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    real_fdopen = os.fdopen

    class Filling:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            self.handle.write(data[:10])
            self.handle.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def fdopen(fd, *args, **kwargs):
        handle = real_fdopen(fd, *args, **kwargs)
        target = os.readlink(f"/proc/self/fd/{fd}") if isinstance(fd, int) else ""
        return Filling(handle) if target.startswith(str(media)) else handle

    monkeypatch.setattr(os, "fdopen", fdopen)
    return media


@pytest.mark.django_db
def test_disk_full_while_uploading_says_so_and_leaves_no_partial_file(alice, full_disk):
    from agora.forum.models import Upload
    from agora.gallery.models import Work

    client = Client(raise_request_exception=False)
    client.force_login(alice)
    composer = client.post(
        "/composer/upload/", {"image": SimpleUploadedFile("a.png", _png())}, HTTP_ACCEPT="*/*"
    )
    assert composer.status_code == 507
    assert "no room left to store files" in composer.json()["error"]

    gallery = client.post(
        "/gallery/upload/",
        {
            "title": "Sunset",
            "licence": "cc-by-4.0",
            "nsfw": "0",
            "tags": "",
            "image": SimpleUploadedFile("w.png", _png()),
        },
        HTTP_ACCEPT="text/html",
    )
    assert gallery.status_code == 507
    assert "Your file was not saved" in gallery.content.decode()

    assert [p for p in full_disk.rglob("*") if p.is_file()] == []
    assert not Upload.objects.exists() and not Work.objects.exists()


# --- the database goes away ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_database_outage_answers_a_clear_503(client, monkeypatch):
    from agora.forum import selectors

    def down(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(selectors, "latest_topics", down)
    client.raise_request_exception = False
    response = client.get("/latest/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "cannot reach its database" in response.content.decode()


SERVER = """
import os, sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
class Quiet(WSGIRequestHandler):
    def log_message(self, *args): pass
from agora.wsgi import application
make_server("127.0.0.1", int(sys.argv[1]), application, handler_class=Quiet).serve_forever()
"""


@pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""), reason="PostgreSQL run only"
)
def test_killed_database_connections_are_replaced_without_a_restart(transactional_db, lounge):
    """One long-lived server thread keeps its connection (CONN_MAX_AGE); the database drops every
    connection (what a restart looks like to the app). The next requests reconnect."""
    import psycopg

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "AGORA_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT)
    try:
        url = f"http://127.0.0.1:{port}/c/lounge/"
        deadline = time.monotonic() + 60
        while True:
            try:
                assert urlopen(url, timeout=10).status == 200
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        name = connection.settings_dict["NAME"]
        admin = database_url_for_subprocess().rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            killed = conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> %s",
                [name, connection.connection.info.backend_pid],
            ).fetchone()[0]
        assert killed >= 1
        statuses = []
        for _ in range(3):
            try:
                statuses.append(urlopen(url, timeout=10).status)
            except OSError as exc:
                statuses.append(getattr(exc, "code", str(exc)))
        assert statuses == [200, 200, 200]
    finally:
        server.terminate()
        server.wait(timeout=10)


PG_BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def private_postgres():
    """A throw-away PostgreSQL cluster (initdb + pg_ctl as the `postgres` user, trust auth, a
    free port): the machine's own server is shared and must never be restarted."""
    if not (PG_BIN / "initdb").exists() or os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("needs PostgreSQL 15's initdb and root (to run it as `postgres`)")
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="agora-test-pg-"))  # pytest's folders are root-only
    shutil.chown(root, "postgres")
    port = _free_port()
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root}"

    def ctl(*args):
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(root / "data"),
                "-l",
                str(root / "log"),
                "-w",
                "-t",
                "60",
                *args,
                "-o",
                options,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    subprocess.run(
        [
            "runuser",
            "-u",
            "postgres",
            "--",
            str(PG_BIN / "initdb"),
            "-D",
            str(root / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    ctl("start")
    try:
        yield {"url": f"postgres://postgres@127.0.0.1:{port}/postgres", "ctl": ctl}
    finally:
        if (root / "data" / "postmaster.pid").exists():
            ctl("-m", "fast", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.pgcluster
def test_a_real_postgresql_restart_and_outage_under_a_running_server(private_postgres, tmp_path):
    """The server keeps its connection between requests; the database is restarted for real
    (`pg_ctl restart -m fast`): the next requests succeed. Stopped for a second: a request waits
    for it (AGORA_DB_CONNECT_WAIT_SECONDS) and succeeds. Stopped for longer: requests get the
    clear 503, and the site answers again once it is back, without restarting the server."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": private_postgres["url"],
        "AGORA_DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONPATH": str(ROOT),
        "AGORA_VAR_DIR": str(tmp_path),
        "AGORA_LOG_LEVEL": "CRITICAL",
        "AGORA_DB_CONNECT_WAIT_SECONDS": "3",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], env=env, cwd=ROOT)

    def get(path: str) -> tuple[int, str]:
        try:
            response = urlopen(f"http://127.0.0.1:{port}{path}", timeout=20)
            return response.status, response.read().decode()
        except OSError as exc:
            if hasattr(exc, "code"):
                return exc.code, exc.read().decode()
            return 0, str(exc)

    def database() -> str:
        status, body = get("/healthz")
        return json.loads(body)["database"] if status in (200, 503) else f"no answer: {body}"

    try:
        deadline = time.monotonic() + 60
        while get("/healthz")[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert database() == "ok"
        private_postgres["ctl"]("-m", "fast", "restart")
        assert [database() for _ in range(3)] == ["ok", "ok", "ok"]

        private_postgres["ctl"]("-m", "fast", "stop")
        back = threading.Timer(1.0, private_postgres["ctl"], args=("start",))
        back.start()
        assert database() == "ok"  # waited for the database instead of failing
        back.join()

        private_postgres["ctl"]("-m", "fast", "stop")
        assert database() == "down"
        status, body = get("/latest/")
        assert status == 503 and "cannot reach its database" in body
        private_postgres["ctl"]("start")
        assert [database() for _ in range(3)] == ["ok", "ok", "ok"]
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- Redis down --------------------------------------------------------------------------------


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()

    def start():
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    state = {"process": start(), "url": f"redis://127.0.0.1:{port}/0"}
    state["start"] = lambda: state.update(process=start())
    yield state
    if state["process"].poll() is None:
        state["process"].terminate()
        state["process"].wait(timeout=10)


@pytest.mark.django_db
def test_pages_keep_rendering_while_redis_is_down(client, settings, private_redis, lounge, alice):
    from agora.forum.services import create_topic

    topic = create_topic(
        author=alice,
        category=lounge,
        title="Still here when Redis is gone",
        raw="The cache is a cache, not a dependency.",
    )
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis["url"],
            "KEY_PREFIX": "agora-test",
        },
        "layout": settings.CACHES["layout"],  # per process, never Redis
        "rows": settings.CACHES["rows"],
    }
    pages = ["/", "/latest/", "/categories/", topic.get_absolute_url(), "/search/?q=cache"]
    for page in pages:
        assert client.get(page).status_code == 200
    private_redis["process"].terminate()
    private_redis["process"].wait(timeout=10)
    client.raise_request_exception = False
    client.force_login(alice)
    for page in [*pages, "/notifications/"]:
        assert client.get(page).status_code == 200, page
    private_redis["start"]()
    assert client.get("/latest/").status_code == 200


def _use_broker(celery_app, url: str) -> None:
    """Point the app at another broker. kombu keeps its connection and producer pools in a global
    registry keyed by URL: reset it, or the next test would get the closed pool back."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    celery_app.conf.broker_url = url


@pytest.mark.worker
def test_jobs_queued_while_the_broker_is_down_run_once_it_is_back(
    transactional_db, private_redis, settings, tmp_path
):
    """The email row is the job: the broker refusing the wake-up costs nothing; once Redis is
    back, the sweep run by beat wakes a worker for it."""
    from agora.celery import app as celery_app
    from agora.conftest import PASSWORD, start_worker, stop_worker, wait_for
    from agora.core.models import OutboundEmail

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    previous = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    _use_broker(celery_app, private_redis["url"])
    private_redis["process"].terminate()
    private_redis["process"].wait(timeout=10)
    worker = None
    try:
        response = Client().post(
            "/accounts/signup/",
            {
                "username": "spooled",
                "email": "spooled@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        assert response.status_code == 302  # the member is signed up; the email waits
        email = OutboundEmail.objects.get()
        assert email.status == OutboundEmail.Status.QUEUED

        private_redis["start"]()
        worker, _log = start_worker(
            tmp_path,
            env={"CELERY_BROKER_URL": private_redis["url"], "EMAIL_URL": f"file://{mail_dir}"},
            beat=True,
        )

        def sent() -> bool:
            email.refresh_from_db()
            return email.status == OutboundEmail.Status.SENT

        wait_for(sent, timeout=60, what="the sweep to have the waiting email sent")
        assert len(list(mail_dir.iterdir())) == 1  # once
    finally:
        if worker is not None:
            stop_worker(worker)
        _use_broker(celery_app, previous)
        celery_app.conf.task_always_eager = True


@pytest.fixture
def silent_smtp():
    """An SMTP server that accepts connections and never answers: a send hangs there."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.mark.worker
def test_a_worker_killed_mid_task_leaves_it_to_the_next_which_runs_it_once(
    transactional_db, private_redis, silent_smtp, settings, tmp_path
):
    import signal

    from agora.celery import app as celery_app
    from agora.conftest import start_worker, stop_worker, wait_for
    from agora.core.models import OutboundEmail
    from agora.core.services import queue_email

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    previous = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    _use_broker(celery_app, private_redis["url"])
    common = {
        "CELERY_BROKER_URL": private_redis["url"],
        "AGORA_BROKER_VISIBILITY_TIMEOUT": "2",
        "AGORA_EMAIL_SEND_LEASE_SECONDS": "2",
    }
    first = second = None
    try:
        first, _log = start_worker(
            tmp_path, env={**common, "EMAIL_URL": f"smtp://127.0.0.1:{silent_smtp}"}
        )
        email = queue_email(to=["mei@example.com"], subject="Hello", body_text="Once, please.")

        def status() -> str:
            email.refresh_from_db()
            return email.status

        wait_for(
            lambda: status() == OutboundEmail.Status.SENDING,
            timeout=60,
            what="the first worker to start sending",
        )
        first.send_signal(signal.SIGKILL)  # mid-send, unacknowledged
        first.wait(timeout=10)

        second, _log = start_worker(tmp_path, env={**common, "EMAIL_URL": f"file://{mail_dir}"})
        wait_for(
            lambda: status() == OutboundEmail.Status.SENT,
            timeout=60,
            what="the second worker to send the email",
        )
        time.sleep(3)  # a second redelivery, if any, would have arrived by now
        assert len(list(mail_dir.iterdir())) == 1
        assert status() == OutboundEmail.Status.SENT
    finally:
        for process in (first, second):
            if process is not None:
                stop_worker(process)
        _use_broker(celery_app, previous)
        celery_app.conf.task_always_eager = True


# --- any broker: a worker killed mid-task, its job woken again by the sweep ---------------------


@pytest.mark.worker
def test_a_killed_workers_email_is_woken_again_by_the_sweep_and_sent_once(
    transactional_db, silent_smtp, settings, tmp_path
):
    """The embedded broker forgets a message when a worker takes it (and Redis only hands it
    back after an hour): the email's stale claim is what brings the job back, through the sweep
    that beat runs, and the email goes out exactly once."""
    import signal

    from agora.celery import app as celery_app
    from agora.conftest import start_worker, stop_worker, wait_for
    from agora.core.models import OutboundEmail
    from agora.core.services import queue_email

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    common = {"AGORA_EMAIL_SEND_LEASE_SECONDS": "4"}
    first = second = None
    try:
        first, _log = start_worker(
            tmp_path, env={**common, "EMAIL_URL": f"smtp://127.0.0.1:{silent_smtp}"}
        )
        email = queue_email(to=["mei@example.com"], subject="Hello", body_text="Once, please.")

        def status() -> str:
            email.refresh_from_db()
            return email.status

        wait_for(
            lambda: status() == OutboundEmail.Status.SENDING,
            timeout=60,
            what="the first worker to start sending",
        )
        first.send_signal(signal.SIGKILL)  # mid-send
        first.wait(timeout=10)

        second, _log = start_worker(
            tmp_path, env={**common, "EMAIL_URL": f"file://{mail_dir}"}, beat=True
        )
        wait_for(
            lambda: status() == OutboundEmail.Status.SENT,
            timeout=60,
            what="the sweep to have the second worker send the email",
        )
        email.refresh_from_db()
        assert email.woken_at is not None  # the sweep, not the broker, brought it back
        time.sleep(3)  # a second delivery, if any, would have arrived by now
        assert len(list(mail_dir.iterdir())) == 1
        assert status() == OutboundEmail.Status.SENT
    finally:
        for process in (first, second):
            if process is not None:
                stop_worker(process)
        celery_app.conf.task_always_eager = True


@pytest.mark.django_db
def test_an_email_claimed_by_another_worker_is_looked_at_again_when_the_claim_goes_stale(
    settings, monkeypatch, mailoutbox
):
    """A re-sent job that finds the email still claimed (its first worker died a moment ago, or
    is still sending) must not give up and leave the email in "sending": it retries when the
    claim would go stale, and then the first live attempt sends it once."""
    from datetime import timedelta

    from django.utils import timezone

    from agora.core import tasks
    from agora.core.models import OutboundEmail

    settings.EMAIL_SEND_LEASE_SECONDS = 60
    email = OutboundEmail.objects.create(
        to=["mei@example.com"],
        subject="Hi",
        body_text="Once.",
        from_email="a@example.com",
        status=OutboundEmail.Status.SENDING,
        claimed_at=timezone.now() - timedelta(seconds=20),
    )
    asked = []

    def fake_retry(*, countdown):
        asked.append(countdown)
        return RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.send_outbound_email, "retry", fake_retry)
    with pytest.raises(RuntimeError, match="retry scheduled"):
        tasks.send_outbound_email.run(email.id)
    assert len(asked) == 1 and 39 < asked[0] <= 41  # ~40 s of the claim left, plus 0.5
    assert not mailoutbox

    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=61)
    )
    assert tasks.send_outbound_email.run(email.id) is True  # the stale claim is taken over
    assert len(mailoutbox) == 1
    assert tasks.send_outbound_email.run(email.id) is False  # sent: nothing to retry
    assert len(asked) == 1 and len(mailoutbox) == 1
