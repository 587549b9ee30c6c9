"""At-least-once jobs on the embedded filesystem broker, run once.

kombu's filesystem transport deletes a message the moment a worker takes it, so `acks_late` means
nothing there: a worker killed mid-task (OOM, `kill -9`, a power cut) loses the job. Redis hands
such a job to the next worker after its visibility timeout; this journal does the same for the
filesystem broker:

- when a worker starts a task it writes `<BROKER_DIR>/inflight/<task id>.json`: the task, its
  arguments and queue, the machine, the worker's main process (pid and start time) and name;
- when the task ends (success or failure) the record goes and `<BROKER_DIR>/done/<task id>` is
  written; a retry republishes the same id and keeps the record, which its next run rewrites;
- `recover()` — at every worker start and every 30 s from beat — re-sends, under the same id, each
  job whose worker is gone: on this machine its main process no longer exists; on another, its
  heartbeat (`WorkerHeartbeat`) is older than `AGORA_WORKER_HEARTBEAT_STALE_SECONDS`. A record is
  claimed by renaming it, so two recoverers never send the same job twice;
- a task whose id is in `done/` is not run again (the idempotency key), so a job that finished
  just before its worker died is not repeated.

"Once" has the usual gap: a worker killed after the task's own work but before the record is
closed leaves it to run again; Agora's jobs are idempotent where it matters (email claims,
lab run leases). With Redis as broker the journal is off: Redis redelivers by itself."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from datetime import timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

DONE_KEPT_SECONDS = 2 * 24 * 3600  # redeliveries come within minutes; ids are kept two days
PRUNE_EVERY_SECONDS = 3600
_main_pid: int | None = None  # the worker's main process (set at worker_init)


def enabled() -> bool:
    from django.conf import settings

    return settings.CELERY_BROKER_URL.startswith("filesystem://")


def folder(name: str) -> Path:
    from django.conf import settings

    path = Path(settings.BROKER_DIR) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot: tells a live pid from a reused one."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started is None or _start_time(pid) in (None, started)


def _safe(task_id: str) -> str:
    return "".join(c for c in str(task_id) if c.isalnum() or c in "-_")[:100]


def is_done(task_id: str) -> bool:
    return (folder("done") / _safe(task_id)).exists()


def begin(task, args, kwargs) -> bool:
    """Record a task this worker starts. False: it already ran (skip it)."""
    request = task.request
    if not request.id or request.is_eager or not enabled():
        return True
    if is_done(request.id):
        logger.warning("%s[%s] already ran; not running it again", task.name, request.id)
        return False
    pid = _main_pid or os.getpid()
    record = {
        "id": request.id,
        "task": task.name,
        "args": list(args),
        "kwargs": dict(kwargs),
        "queue": (request.delivery_info or {}).get("routing_key"),
        "host": socket.gethostname(),
        "pid": pid,
        "pid_started": _start_time(pid),
        "worker": request.hostname,
        "started_at": time.time(),
    }
    path = folder("inflight") / f"{_safe(request.id)}.json"
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(record))
    os.replace(temporary, path)
    return True


def end(task) -> None:
    """The task ran to success or failure: close its record, remember its id."""
    request = task.request
    if not request.id or request.is_eager or not enabled():
        return
    (folder("done") / _safe(request.id)).touch()
    (folder("inflight") / f"{_safe(request.id)}.json").unlink(missing_ok=True)


def _orphaned(record: dict) -> bool:
    if record.get("host") == socket.gethostname():
        return not _alive(int(record["pid"]), record.get("pid_started"))
    from django.conf import settings
    from django.utils import timezone

    from agora.core.models import WorkerHeartbeat

    fresh_after = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_STALE_SECONDS)
    return not WorkerHeartbeat.objects.filter(
        hostname=record.get("worker"), last_seen__gte=fresh_after
    ).exists()


def recover(app=None) -> int:
    """Re-send the jobs of dead workers (same task id); drop old `done` markers. Returns how many
    jobs were sent again."""
    if not enabled():
        return 0
    if app is None:
        from agora.celery import app
    sent = 0
    for path in sorted(folder("inflight").glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being replaced, or gone
        if is_done(record["id"]) or not _orphaned(record):
            continue
        claimed = path.with_suffix(f".{os.getpid()}.recovering")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            continue  # another recoverer took it, or the task just ended
        options = {"queue": record["queue"]} if record.get("queue") else {}
        try:
            app.send_task(record["task"], args=record["args"], kwargs=record["kwargs"],
                          task_id=record["id"], **options)  # fmt: skip
        except Exception:
            os.rename(claimed, path)
            logger.exception("could not re-send %s[%s]", record["task"], record["id"])
            break
        claimed.unlink()
        sent += 1
        logger.warning(
            "%s[%s]: its worker %s died mid-task; sent again", record["task"], record["id"],
            record.get("worker"),
        )  # fmt: skip
    _prune_done()
    return sent


def _prune_done() -> None:
    """Forget old ids, at most once an hour (a busy site finishes thousands of jobs a day)."""
    done = folder("done")
    stamp = done.parent / "done.pruned"
    now = time.time()
    try:
        if now - stamp.stat().st_mtime < PRUNE_EVERY_SECONDS:
            return
    except FileNotFoundError:
        pass
    stamp.touch()
    cutoff = now - DONE_KEPT_SECONDS
    for marker in done.iterdir():
        try:
            if marker.stat().st_mtime < cutoff:
                marker.unlink()
        except FileNotFoundError:
            pass
