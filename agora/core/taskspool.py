"""Jobs survive a broker outage. When publishing a task fails (Redis down, broker folder
unwritable), the job is written to a spool folder instead of failing the request that queued it;
the spool is sent on the next successful publish from any process, by every worker at start-up,
and by a periodic task. With web servers and workers on several machines the folder must be
shared (like the lab's runs folder), or each web server drains its own on its next publish."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path

from celery import Task
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

PUBLISH_ERRORS = (BrokerError, ConnectionError, OSError)


def spool_dir() -> Path:
    from django.conf import settings

    return Path(settings.TASK_SPOOL_DIR)


def spool(name: str, args, kwargs, options: dict) -> Path:
    folder = spool_dir()
    folder.mkdir(parents=True, exist_ok=True)
    body = {"task": name, "args": list(args or []), "kwargs": dict(kwargs or {}),
            "queue": options.get("queue")}  # fmt: skip
    temporary = folder / f".{uuid.uuid4().hex}.tmp"
    temporary.write_text(json.dumps(body))
    final = folder / f"{uuid.uuid4().hex}.json"
    os.replace(temporary, final)  # readers never see a half-written job
    return final


def drain(app=None) -> int:
    """Publish spooled jobs oldest first; stop at the first failure (the broker is still down).
    Each file is claimed by renaming it, so two processes never send the same job."""
    if app is None:
        from agora.celery import app
    folder = spool_dir()
    if not folder.is_dir():
        return 0
    sent = 0
    for path in sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime):
        claimed = path.with_suffix(f".{os.getpid()}.sending")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            continue  # another process took it
        job = json.loads(claimed.read_text())
        options = {"queue": job["queue"]} if job.get("queue") else {}
        try:
            app.send_task(job["task"], args=job["args"], kwargs=job["kwargs"], **options)
        except PUBLISH_ERRORS:
            os.rename(claimed, path)
            break
        claimed.unlink()
        sent += 1
    if sent:
        logger.info("sent %d spooled jobs", sent)
    return sent


class SpoolingTask(Task):
    """The base of every Agora task: `.delay()` never fails the caller over the broker, and on
    the filesystem broker a job whose worker dies runs again, once (agora/core/taskjournal.py)."""

    def before_start(self, task_id, args, kwargs) -> None:
        from celery.exceptions import Ignore

        from agora.core import taskjournal

        if not taskjournal.begin(self, args, kwargs):
            raise Ignore()  # it already ran: acknowledged, not run again

    def after_return(self, status, retval, task_id, args, kwargs, einfo) -> None:
        # Success or failure (not a retry, which republishes the same id and keeps the record).
        from agora.core import taskjournal

        taskjournal.end(self)

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options):  # fmt: skip
        if self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id, producer, link, link_error,
                                       shadow, **options)  # fmt: skip
        try:
            result = super().apply_async(args, kwargs, task_id, producer, link, link_error,
                                         shadow, **options)  # fmt: skip
        except PUBLISH_ERRORS as exc:
            path = spool(self.name, args, kwargs, options)
            logger.warning("broker unavailable (%s): %s spooled to %s", exc, self.name, path)
            return None
        if spool_dir().is_dir() and any(spool_dir().glob("*.json")):
            drain(self.app)
        return result
