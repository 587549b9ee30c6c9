"""Writes of lesson widgets: a figure for a state (cached, computed now, or queued for the
worker), live trainings run by the worker, the sweep, and lessons marked done."""

from __future__ import annotations

import importlib
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.core import jobs
from agora.lab.models import JobPriority
from agora.learn import permissions, widgets
from agora.learn.models import Article, LessonCompletion, WidgetFrame, WidgetResult
from agora.learn.widgets.compute import Drawn

logger = logging.getLogger(__name__)
Status = WidgetResult.Status


class QuotaExceeded(PermissionDenied):
    pass


def _function(widget: widgets.Widget):
    module, _dot, name = widget.compute.rpartition(".")
    return getattr(importlib.import_module(module), name)


class NotYours(PermissionDenied):
    pass


def check_access(user, state: dict[str, Any]) -> dict[str, Any]:
    """A state drawn from a gallery work (work-<id>) is for those who may see that work, cached
    or not: its figure shows the work. A private work of someone else and a missing one get the
    same answer (NotYours), so nobody learns which exists. Returns the state with what its key
    adds: the work's stored file (a random name per upload), so a work deleted and an id used
    again never answers with the old work's figure."""
    image = state.get("image", "")
    if not (isinstance(image, str) and image.startswith("work-")):
        return state
    from agora.gallery.models import Work

    work = (
        Work.objects.filter(pk=int(image.removeprefix("work-")))
        .only("author", "private", "image")
        .first()
    )
    if work is None or not permissions.can_draw_from_work(user, work):
        raise NotYours(_("There is no work #%(id)s that you may use.") % {"id": image[5:]})
    return state | {"work_file": work.image.name}


def own_works(user, limit: int = 12) -> list[tuple[str, str]]:
    """A member's latest works, as choices of the forward process's image (work-<id>, title)."""
    from agora.core.permissions import is_member
    from agora.gallery.models import Work

    if not is_member(user):
        return []
    works = Work.objects.filter(author=user).order_by("-created_at", "-id")[:limit]
    return [(f"work-{pk}", title) for pk, title in works.values_list("pk", "title")]


def computed_this_hour(user) -> int:
    since = timezone.now() - timedelta(hours=1)
    return WidgetResult.objects.filter(requested_by=user, created_at__gte=since).count()


def figure_for(*, user, kind: str, state: dict[str, Any]) -> WidgetResult:
    """The row for `state`: the cached figure, or a new one computed now (or queued for the
    worker when it is a live training). Nobody may compute a state that is not cached or declared
    by a lesson unless a member within the hourly quota (PermissionDenied, QuotaExceeded). A
    visitor never starts a training, not even a declared one (warm_declared or the first member
    does): they see it once it runs or is done."""
    widget = widgets.get(kind)
    state = check_access(user, state)
    key = widgets.state_key(kind, state)
    row = WidgetResult.objects.filter(key=key).first()
    if row is not None and row.status != Status.DECLARED:
        return row
    if (row is None or widget.live) and not permissions.can_compute_widget(user):
        raise PermissionDenied(
            _("These settings have not been computed yet. Sign in to compute them.")
        )
    requester = None
    if row is None:
        quota = settings.LEARN_WIDGET_QUOTA_PER_HOUR
        if computed_this_hour(user) >= quota:
            raise QuotaExceeded(
                _(
                    "You have computed %(n)d new figures in the last hour, the most allowed. "
                    "Figures already computed stay open to you; try new settings later."
                )
                % {"n": quota}
            )
        requester = user
    if widget.live:
        return _queue(kind=kind, key=key, state=state, requester=requester)
    drawn = _function(widget)(state)
    return _store(kind=kind, key=key, state=state, requester=requester, drawn=drawn)


@transaction.atomic
def _store(*, kind, key, state, requester, drawn: Drawn) -> WidgetResult:
    row, _created = WidgetResult.objects.update_or_create(
        key=key,
        defaults={
            "kind": kind,
            "state": state,
            "status": Status.DONE,
            "png": drawn.png,
            "data": drawn.data,
            "computed_at": timezone.now(),
        },
        create_defaults={
            "kind": kind,
            "state": state,
            "status": Status.DONE,
            "png": drawn.png,
            "data": drawn.data,
            "computed_at": timezone.now(),
            "requested_by": requester,
        },
    )
    return row


def _queue(*, kind, key, state, requester, priority: int = JobPriority.MEMBER) -> WidgetResult:
    """Queue a live training on the training lane: for a member who asked (MEMBER), or as the
    demo seed's warm-up (BACKGROUND, run only while no member job waits)."""
    from agora.learn import tasks

    with transaction.atomic():
        row, created = WidgetResult.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "state": state,
                "status": Status.QUEUED,
                "requested_by": requester,
                "priority": priority,
            },
        )
        if not created and row.status == Status.DECLARED:
            WidgetResult.objects.filter(pk=row.pk, status=Status.DECLARED).update(
                status=Status.QUEUED, priority=priority
            )
            row.status, row.priority = Status.QUEUED, priority
        if row.status == Status.QUEUED:
            jobs.wake_on_commit(tasks.run_widget, row.id)
    return row


def declare(*, user, html: str) -> int:
    """Register the figures a staff-written article places, so its first reader sees them
    computed (lazily, on first view) even as a visitor. Returns how many were new."""
    from agora.learn.widget_markup import placed_widgets

    if not permissions.can_declare_widgets(user):
        return 0
    from agora.learn.widgets.compute import NoModel

    rows = []
    for kind, placed in placed_widgets(html):
        try:  # the key names the model too (what a reader's request asks for)
            state = widgets.get(kind).with_extra(placed)
        except NoModel:
            continue
        rows.append(
            WidgetResult(
                kind=kind, key=widgets.state_key(kind, state), state=state, status=Status.DECLARED
            )
        )
    before = WidgetResult.objects.filter(key__in=[r.key for r in rows]).count()
    WidgetResult.objects.bulk_create(rows, ignore_conflicts=True)
    return len({r.key for r in rows}) - before


WARM_LAST = ("sampler-table",)


def warm_declared() -> tuple[int, int]:
    """Compute the figures the lessons declare before anyone asks (the demo seed runs it), so a
    visitor of a new site sees cached figures: those a request can afford are drawn here, the
    live trainings are queued for the worker. No quota: the lessons' own. Returns (drawn,
    queued)."""
    from agora.learn.widgets.compute import NoModel

    drawn = queued = 0
    rows = WidgetResult.objects.filter(status=Status.DECLARED).order_by("id")
    # The worker takes them in this order: the quick trainings first, the sampler table (five
    # samplers scored on 200 samples each, minutes of CPU) after them.
    for row in sorted(rows, key=lambda row: row.kind in WARM_LAST):
        widget = widgets.WIDGETS.get(row.kind)
        if widget is None or str(row.state.get("image", "")).startswith("work-"):
            continue  # a kind removed since; a work's figure is keyed by its file (check_access)
        if widget.live:
            _queue(
                kind=row.kind,
                key=row.key,
                state=row.state,
                requester=None,
                priority=JobPriority.BACKGROUND,
            )
            queued += 1
            continue
        try:
            figure = _function(widget)(row.state)
        except NoModel:  # its model left the installation since it was declared
            continue
        _store(kind=row.kind, key=row.key, state=row.state, requester=None, drawn=figure)
        drawn += 1
    return drawn, queued


def forget_work(*, work_id: int) -> int:
    """A gallery work was deleted: the figures drawn from it (x_0 of the forward process), their
    numbers and frames go too. Returns how many were deleted."""
    deleted, _details = WidgetResult.objects.filter(state__image=f"work-{work_id}").delete()
    return deleted


# --- the worker ----------------------------------------------------------------------------------


def run_live(*, result_id: int) -> str:
    """Claim a queued live training and run it, storing a frame every few steps."""
    from agora.lab import lane

    now = timezone.now()
    due = WidgetResult.objects.filter(
        Q(status=Status.QUEUED) | (Q(status=Status.RUNNING) & _stale(now)), pk=result_id
    )
    # The lessons' warm-ups (background) start only while no member job waits.
    claimed = due.filter(lane.may_start()).update(
        status=Status.RUNNING, claimed_at=now, step=0, frame_count=0
    )
    if not claimed:
        return "waiting" if due.exists() else "not-claimed"
    row = WidgetResult.objects.get(pk=result_id)
    WidgetFrame.objects.filter(result=row).delete()  # a retry after a lost worker starts over
    widget = widgets.get(row.kind)
    member_waits = lane.YieldCheck() if row.priority == JobPriority.BACKGROUND else None

    def report(step: int, total: int, drawn: Drawn) -> None:
        if member_waits is not None and member_waits():
            raise lane.Yielded
        number = WidgetResult.objects.values_list("frame_count", flat=True).get(pk=result_id)
        WidgetFrame.objects.create(
            result_id=result_id, number=number, step=step, png=drawn.png, data=drawn.data
        )
        WidgetResult.objects.filter(pk=result_id).update(
            step=step, total_steps=total, frame_count=number + 1, claimed_at=timezone.now()
        )

    function = _function(widget)
    try:
        drawn = function(row.state, report)
    except lane.Yielded:
        # A member job waits: back to the queue, to start over once the lane is free (the sweep
        # wakes it again).
        WidgetFrame.objects.filter(result_id=result_id).delete()
        WidgetResult.objects.filter(pk=result_id, status=Status.RUNNING).update(
            status=Status.QUEUED, claimed_at=None, woken_at=timezone.now(), step=0, frame_count=0
        )
        logger.info("lesson widget %s (%s) yielded to a member's job", result_id, row.kind)
        return "yielded"
    except Exception as exc:
        logger.exception("lesson widget %s (%s) failed", result_id, row.kind)
        WidgetResult.objects.filter(pk=result_id).update(
            status=Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        return str(Status.FAILED)
    WidgetResult.objects.filter(pk=result_id).update(
        status=Status.DONE, png=drawn.png, data=drawn.data, computed_at=timezone.now()
    )
    return str(Status.DONE)


def _stale(now) -> Q:
    return Q(claimed_at__lt=now - timedelta(seconds=settings.JOB_LEASE_SECONDS))


def sweep(*, now=None) -> list[int]:
    """Wake queued trainings whose wake was lost and running ones whose worker died."""
    from agora.learn import tasks

    now = now or timezone.now()
    due = Q(status=Status.QUEUED) | (Q(status=Status.RUNNING) & _stale(now))
    return jobs.wake_due(WidgetResult, due, tasks.run_widget, now=now)


# --- lessons done ------------------------------------------------------------------------------


def mark_lesson_done(*, user, article: Article, done: bool = True) -> bool:
    """Record (or withdraw) that `user` finished `article`; True when it is marked done."""
    if not permissions.can_mark_lesson_done(user):
        raise PermissionDenied(_("Sign in to keep track of the lessons you finished."))
    if not done:
        LessonCompletion.objects.filter(user=user, article=article).delete()
        return False
    try:
        with transaction.atomic():
            LessonCompletion.objects.get_or_create(user=user, article=article)
    except IntegrityError:  # the same click twice at once: it is marked either way
        pass
    return True
