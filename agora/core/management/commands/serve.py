"""Run the web server and a Celery worker (with its beat scheduler) together; Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the development web server and a background worker in one terminal."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--addr", default=settings.AGORA_SERVE_ADDR)
        parser.add_argument("--concurrency", type=int, default=2)

    def handle(self, *args, addr: str, concurrency: int, **options) -> None:
        python = sys.executable
        # Links in emails and feeds name the address served, unless the site's is set.
        os.environ.setdefault("AGORA_SITE_URL", f"http://{addr}")
        worker = subprocess.Popen(
            [
                python, "-m", "celery", "-A", "agora", "worker", "--beat",
                "--queues", "default,training", "--concurrency", str(concurrency),
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "--schedule", "var/celerybeat-schedule",
            ]
        )  # fmt: skip
        web = subprocess.Popen([python, "manage.py", "runserver", "--noreload", addr])
        children = [web, worker]
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
            # One of the two died on its own: stop the other rather than run half a site.
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
