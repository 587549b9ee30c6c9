from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from agora.core.paging import keyset_page
from agora.events.models import RSVP, CalendarToken, Event

PER_PAGE = 30


def _rsvp_count(status: str) -> Coalesce:
    counted = (
        RSVP.objects.filter(event=OuterRef("pk"), status=status)
        .order_by()
        .values("event")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _with_counts(queryset: QuerySet[Event]) -> QuerySet[Event]:
    """Going and waitlist counts as subqueries (a join and GROUP BY would make every page sort
    all events instead of reading the start-time index from the cursor on)."""
    return queryset.select_related("organizer").annotate(
        going_count=_rsvp_count(RSVP.Status.GOING),
        waitlist_count=_rsvp_count(RSVP.Status.WAITLIST),
    )


def upcoming_events(
    *, cursor: str | None = None, limit: int = PER_PAGE
) -> tuple[list[Event], str | None]:
    """Events not yet over, soonest first: one page and the cursor of the next."""
    return keyset_page(
        _with_counts(Event.objects.filter(ends_at__gte=timezone.now())),
        key="starts_at",
        cursor=cursor,
        limit=limit,
        descending=False,
    )


def past_events(
    *, cursor: str | None = None, limit: int = PER_PAGE
) -> tuple[list[Event], str | None]:
    """Events over, latest first: one page and the cursor of the next."""
    return keyset_page(
        _with_counts(Event.objects.filter(ends_at__lt=timezone.now())),
        key="starts_at",
        cursor=cursor,
        limit=limit,
    )


def get_event(*, event_id: int) -> Event:
    try:
        return _with_counts(Event.objects.filter(pk=event_id)).get()
    except Event.DoesNotExist as exc:
        raise Http404("No such event") from exc


def rsvp_for(*, event: Event, user) -> RSVP | None:
    if not user.is_authenticated:
        return None
    return RSVP.objects.filter(event=event, user=user).exclude(status=RSVP.Status.CANCELLED).first()


def attendees(*, event: Event) -> list[RSVP]:
    return list(
        RSVP.objects.filter(event=event, status=RSVP.Status.GOING)
        .select_related("user")
        .order_by("created_at")
    )


def waitlist_position(*, event: Event, mine: RSVP | None) -> int | None:
    if mine is None or mine.status != RSVP.Status.WAITLIST:
        return None
    ahead = RSVP.objects.filter(
        event=event, status=RSVP.Status.WAITLIST, created_at__lt=mine.created_at
    ).count()
    return ahead + 1


def member_calendar(*, token: str) -> tuple[object, list[RSVP]]:
    """The owner of a calendar token and their seats and waiting-list places (with the event),
    soonest first."""
    try:
        owner = CalendarToken.objects.select_related("user").get(token=token).user
    except CalendarToken.DoesNotExist as exc:
        raise Http404("No such calendar") from exc
    seats = list(
        RSVP.objects.filter(user=owner, status__in=[RSVP.Status.GOING, RSVP.Status.WAITLIST])
        .select_related("event")
        .order_by("event__starts_at", "event_id")
    )
    return owner, seats
