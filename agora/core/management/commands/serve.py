"""Run the web server and the background workers together; Ctrl-C stops them all.

Two workers, one per queue, as on a scaled-out site (README, "Scaling out"): the `default`
worker (with the beat scheduler) sends emails, notifications, search indexing, webhooks and
generations; the `training` worker runs the lab's long training jobs. Training runs that fill
their worker never hold up the default queue."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


def worker_commands(*, concurrency: int, training_concurrency: int) -> list[list[str]]:
    """The command lines of the two workers `serve` starts."""
    celery = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "agora",
        "worker",
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    schedule = str(settings.VAR_DIR / "celerybeat-schedule")
    return [
        [
            *celery,
            "--hostname",
            "default@%h",
            "--queues",
            "default",
            "--concurrency",
            str(concurrency),
            "--beat",
            "--schedule",
            schedule,
        ],
        [
            *celery,
            "--hostname",
            "training@%h",
            "--queues",
            "training",
            "--concurrency",
            str(training_concurrency),
        ],
    ]


class Command(BaseCommand):
    help = "Start the development web server and the background workers in one terminal."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default=settings.AGORA_SERVE_ADDR)
        parser.add_argument(
            "--concurrency", type=int, default=2, help="jobs of the default queue at once"
        )
        parser.add_argument(
            "--training-concurrency", type=int, default=1, help="training runs at once"
        )

    def handle(
        self, *args, addr: str, concurrency: int, training_concurrency: int, **options
    ) -> None:
        # Links in emails and feeds name the address served, unless the site's is set.
        os.environ.setdefault("AGORA_SITE_URL", f"http://{addr}")
        workers = [
            subprocess.Popen(command)
            for command in worker_commands(
                concurrency=concurrency, training_concurrency=training_concurrency
            )
        ]
        web = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", addr])
        children = [web, *workers]
        self.stdout.write(
            self.style.SUCCESS(f"Agora is running at http://{addr}/ — Ctrl-C stops it.")
        )

        signalled = False

        def stop(signum, frame) -> None:
            nonlocal signalled
            if not signalled:
                signalled = True
                for child in children:
                    if child.poll() is None:
                        child.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            # One of them died on its own: stop the others rather than run half a site.
            stop(signal.SIGTERM, None)
        except KeyboardInterrupt:
            signalled = True  # the terminal sent SIGINT to the whole process group
        finally:
            deadline = time.monotonic() + 20
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Agora stopped.")
