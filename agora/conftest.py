"""Shared fixtures. Personas (after Healthchecks): alice and bob are members, charlie is another
member with no special rights, staff is a moderator with admin access."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.db import connection

from agora.accounts.models import User
from agora.celery import app as celery_app

PASSWORD = "correct horse battery staple"  # noqa: S105 (test personas only)


@pytest.fixture(autouse=True)
def _fresh_shared_cache(settings) -> None:
    """Redis outlives each test (the database cache is rolled back with it): rate limits and
    cached values must not leak from one test into the next."""
    if "redis" in settings.CACHES["default"]["BACKEND"].lower():
        from django.core.cache import cache

        cache.clear()


@pytest.fixture(autouse=True)
def _eager_tasks() -> Iterator[None]:
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the site's default language. A request through the test client runs
    LocaleMiddleware, which activates the reader's language for the thread and leaves it there:
    a zh page fetched by one test made the next test's demo seeding write its posts in Chinese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def make_member(username: str, *, trust_level: int = 2, **extra) -> User:
    """A verified member; personas are established members (trust level 2) unless asked."""
    from agora.moderation.models import MemberStats

    email = extra.pop("email", f"{username}@example.com")
    user = User.objects.create_user(username=username, email=email, password=PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    MemberStats.objects.create(user=user, trust_level=trust_level)
    return user


@pytest.fixture
def alice(db) -> User:
    return make_member("alice", display_name="Alice Martin")


@pytest.fixture
def bob(db) -> User:
    return make_member("bob")


@pytest.fixture
def charlie(db) -> User:
    return make_member("charlie")


@pytest.fixture
def staff(db) -> User:
    return make_member("moderator", is_staff=True, is_superuser=True)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def database_url_for_subprocess() -> str:
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def start_worker(
    tmp_path: Path,
    *,
    env: dict[str, str] | None = None,
    beat: bool = False,
    queues: str = "default,training",
) -> tuple[subprocess.Popen, Path]:
    """A real `celery worker` process on the configured broker (filesystem or Redis), sharing the
    test database; it consumes the default and the training queues. `beat=True` runs the
    scheduler inside it too, sweeping every second (agora/core/jobs.py)."""
    log_path = tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log"
    full_env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "AGORA_WORKER_HEARTBEAT_SECONDS": "1",
        **({"AGORA_JOB_SWEEP_SECONDS": "1", "AGORA_JOB_WAKE_AFTER_SECONDS": "1"} if beat else {}),
        **(env or {}),
    }
    name = f"test-{uuid.uuid4().hex[:8]}@%h"
    scheduler = ["--beat", "--schedule", str(log_path.with_suffix(".beat"))] if beat else []
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "agora",
                "worker",
                "--queues",
                queues,
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                name,
                *scheduler,
            ],
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
    return process, log_path


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def celery_worker_process(
    transactional_db, tmp_path: Path, settings
) -> Iterator[dict[str, object]]:
    """A real worker; mail it sends lands in files under tmp_path/mail, lab files under tmp_path."""
    from agora.core.models import WorkerHeartbeat

    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    settings.MEDIA_ROOT = tmp_path / "media"
    env = {
        "EMAIL_URL": f"file://{mail_dir}",
        "AGORA_LAB_RUNS_DIR": str(settings.LAB_RUNS_DIR),
        "AGORA_MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    process, log_path = start_worker(tmp_path, env=env)
    try:
        deadline = time.monotonic() + 60
        while not WorkerHeartbeat.objects.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("worker did not start:\n" + log_path.read_text()[-4000:])
            time.sleep(0.2)
        yield {
            "process": process,
            "mail_dir": mail_dir,
            "log": log_path,
            "env": env,
            "tmp": tmp_path,
        }
    finally:
        stop_worker(process)
        celery_app.conf.task_always_eager = True


def wait_for(predicate, *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


# --- browser tests (headless Chromium from Debian, driven by Playwright) -------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package")
    # Playwright's sync API keeps an event loop in this thread; our ORM calls are synchronous.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="en-US", timezone_id="Europe/London")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()
