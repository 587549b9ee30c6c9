"""The training lane: the Celery queue `training`, where long CPU jobs wait for the training
worker (concurrency 1 under `make run`): members' runs, challenge evaluations (a rebuild of the
entry) and the lessons' live trainings. Each job is a row claimed by id (agora/core/jobs.py);
this module decides which may start.

* A **member** job (`JobPriority.MEMBER`: every training run, a member's entry, a lesson training
  a member asked for) is claimed as soon as its wake arrives, in the broker's order, as before.
* A **background** job the site queued itself (the demo's verification rebuild of the zoo
  entries, the lessons' warm-ups) is claimed only while no member job waits: its claim is one
  conditional UPDATE with `member_waits()` negated inside, so the check and the claim are one
  statement on SQLite and PostgreSQL alike. A background job that cannot start stays queued; the
  sweep of its kind wakes it again (every JOB_WAKE_AFTER_SECONDS) until the lane is free.
* A background job already running **yields** when a member job starts waiting: it checks every
  YIELD_CHECK_SECONDS, stops at a checkpoint (an evaluation's rebuild resumes from it, a lesson
  training starts over) and goes back to the queue, so the member's job is next.
"""

from __future__ import annotations

import operator
import time
from functools import reduce

from django.db.models import Exists, Q, QuerySet

from agora.lab.models import JobPriority, TrainingRun

YIELD_CHECK_SECONDS = 2.0


class Yielded(Exception):
    """A background job stopped so that a waiting member job runs first."""


def _member_queues() -> list[QuerySet]:
    """Member jobs waiting on the lane, per kind; each served by an index on (status, ...):
    `run_status_heartbeat`, `submission_lane`, `widget_lane`."""
    from agora.challenges.models import Submission
    from agora.learn.models import WidgetResult

    return [
        TrainingRun.objects.filter(status=TrainingRun.Status.QUEUED),
        Submission.objects.filter(status=Submission.Status.QUEUED, priority=JobPriority.MEMBER),
        WidgetResult.objects.filter(status=WidgetResult.Status.QUEUED, priority=JobPriority.MEMBER),
    ]


def member_waits() -> Q:
    """A member's job is queued on the training lane, as a condition of a claim's UPDATE."""
    return reduce(operator.or_, (Q(Exists(queued)) for queued in _member_queues()))


def may_start() -> Q:
    """The condition a claim adds to its conditional UPDATE: a member job may always start, a
    background job only while no member job waits."""
    return Q(priority=JobPriority.MEMBER) | ~member_waits()


def member_job_waiting() -> bool:
    """Does a member's job wait on the lane? At most three EXISTS queries (the first yes ends)."""
    return any(queued.exists() for queued in _member_queues())


class YieldCheck:
    """Asked often by a running background job (every training step, every frame), answers
    from the database at most every YIELD_CHECK_SECONDS: True when a member job waits."""

    def __init__(self) -> None:
        self.next_check = 0.0  # the first question is always answered from the database
        self.yielded = False

    def __call__(self) -> bool:
        now = time.monotonic()
        if not self.yielded and now >= self.next_check:
            self.next_check = now + YIELD_CHECK_SECONDS
            self.yielded = member_job_waiting()
        return self.yielded


def place_in_line(run: TrainingRun) -> dict[str, int]:
    """Where a queued run stands on the lane, for its page: member jobs queued before it (runs
    by (created_at, id); entries and lesson trainings by created_at) and member jobs training
    now. Background jobs are not counted: they yield to it. Three queries, each served by its
    kind's (status, ...) index; the broker's order may differ by a job or two under load."""
    from django.db.models import Count

    from agora.challenges.models import Submission
    from agora.learn.models import WidgetResult

    queued, running = TrainingRun.Status.QUEUED, TrainingRun.Status.RUNNING
    before = Q(created_at__lt=run.created_at) | Q(created_at=run.created_at, id__lt=run.id)
    counts = TrainingRun.objects.filter(status__in=[queued, running]).aggregate(
        ahead=Count("id", filter=Q(status=queued) & before),
        running=Count("id", filter=Q(status=running)),
    )
    ahead, busy = counts["ahead"], counts["running"]
    for model in (Submission, WidgetResult):
        rows = model.objects.filter(
            status__in=[queued, running], priority=JobPriority.MEMBER
        ).aggregate(
            ahead=Count("id", filter=Q(status=queued, created_at__lt=run.created_at)),
            running=Count("id", filter=Q(status=running)),
        )
        ahead, busy = ahead + rows["ahead"], busy + rows["running"]
    return {"ahead": ahead, "running": busy}
