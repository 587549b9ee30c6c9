"""Background jobs: the database row is the job; the broker only wakes a worker.

As Healthchecks does it, and as emails, webhook deliveries and lab runs do here:

* **enqueue** — the job's row is written in the same transaction as the change that owes it, so
  a rolled-back request leaves none and a committed one cannot lose it; after the commit
  `wake()` publishes the task with the row's id. A broker that cannot take it (Redis down) costs
  a log line, not the job: the row waits for the sweep.
* **claim** — the worker takes the row with one conditional UPDATE that also writes its lease
  (`claimed_at`, or a lab run's `lease` and heartbeat). A second copy of the message, or a
  second worker, finds nothing to claim and returns. A worker killed mid-job leaves its lease to
  go stale.
* **sweep** — beat runs one sweep per kind every `JOB_SWEEP_SECONDS`: it wakes the rows whose
  lease went stale (their worker died) and the rows still waiting `JOB_WAKE_AFTER_SECONDS`
  after their last wake (the broker was down, or lost the message). The sweep writes `woken_at`
  with a conditional UPDATE too, so two sweeps never wake one row twice and a waiting row is
  woken at most once per `JOB_WAKE_AFTER_SECONDS`; an extra wake is harmless (nothing to claim).

Kinds: `OutboundEmail` (agora/core/services.py), `WebhookDelivery` (agora/api/webhooks.py), lab
runs, generations and data set checks (agora/lab), and the `Job` table below for side effects
without a row of their own (notifications, search documents, trust levels, waiting-list emails).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import Task
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from agora.core.models import Job

logger = logging.getLogger(__name__)

PUBLISH_ERRORS = (BrokerError, ConnectionError, OSError)
SWEEP_BATCH = 500  # rows woken per sweep and kind; the next sweep takes the rest


def wake(task: Task, *args) -> bool:
    """Ask a worker to run `task(*args)`. False when the broker cannot take it now: the row
    stays, and the sweep wakes it once the broker is back."""
    try:
        task.apply_async(args=args)
    except PUBLISH_ERRORS as exc:
        logger.warning("broker unavailable (%s): %s%s waits for the sweep", exc, task.name, args)
        return False
    return True


def wake_on_commit(task: Task, *args) -> None:
    transaction.on_commit(lambda: wake(task, *args))


def wake_due(
    model: type[models.Model], due: Q, task: Task, *, now: datetime | None = None
) -> list[int]:
    """The sweep of one kind: wake each row of `model` matching `due` that was not woken (or
    created) in the last `JOB_WAKE_AFTER_SECONDS`. Returns the ids woken."""
    now = now or timezone.now()
    again = now - timedelta(seconds=settings.JOB_WAKE_AFTER_SECONDS)
    quiet = Q(woken_at__lt=again) | Q(woken_at__isnull=True, created_at__lt=again)
    candidates = model.objects.filter(due & quiet).order_by("pk").values_list("pk", flat=True)
    woken = [
        pk
        for pk in list(candidates[:SWEEP_BATCH])
        if model.objects.filter(due & quiet, pk=pk).update(woken_at=now)
    ]
    for pk in woken:
        wake(task, pk)
    if woken:
        logger.info("sweep: woke %d %s job(s) again", len(woken), model._meta.label)
    return woken


# --- the Job table ---------------------------------------------------------------------------


def enqueue(task: Task, *args) -> Job:
    """Owe `task(*args)`: the row joins the caller's transaction; a worker runs it after commit.
    `args` must be JSON (ids, short strings); the task must be safe to run twice."""
    from agora.core.tasks import run_job

    job = Job.objects.create(task=task.name, args=list(args))
    wake_on_commit(run_job, job.id)
    return job


def _live_lease(now: datetime) -> Q:
    return Q(claimed_at__gte=now - timedelta(seconds=settings.JOB_LEASE_SECONDS))


def run(*, job_id: int) -> str:
    """Claim the job, run its task in this process, delete the row. A failure releases the
    claim and counts an attempt; the sweep tries again until `JOB_MAX_ATTEMPTS`."""
    from agora.celery import app

    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job_id, attempts__lt=settings.JOB_MAX_ATTEMPTS)
        .exclude(_live_lease(now))
        .update(claimed_at=now)
    )
    if not claimed:
        return "not-claimed"  # done, running elsewhere, or given up
    job = Job.objects.get(pk=job_id)
    try:
        app.tasks[job.task](*job.args)
    except Exception as exc:
        Job.objects.filter(pk=job_id, claimed_at=now).update(
            claimed_at=None, attempts=job.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"
        )
        logger.exception("job %s %s%s failed", job_id, job.task, tuple(job.args))
        raise
    Job.objects.filter(pk=job_id).delete()
    return "done"


def sweep(*, now: datetime | None = None) -> list[int]:
    """Jobs whose wake was lost or whose worker died; failed ones until JOB_MAX_ATTEMPTS."""
    from agora.core.tasks import run_job

    now = now or timezone.now()
    due = Q(attempts__lt=settings.JOB_MAX_ATTEMPTS) & ~_live_lease(now)
    return wake_due(Job, due, run_job, now=now)
