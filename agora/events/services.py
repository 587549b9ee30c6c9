"""Writes of events: creating and updating, RSVP with a waiting list that moves up, reminders."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core import jobs
from agora.core.limits import length_errors
from agora.core.markdown import render
from agora.core.timezones import is_valid_timezone
from agora.events import permissions
from agora.events.models import MAX_CAPACITY, RSVP, Event

MAX_DURATION = timedelta(days=14)


def _validate(
    *,
    title: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    tz: str,
    online_url: str,
    venue: str,
    capacity: int | None,
) -> dict[str, str]:
    errors = length_errors(
        Event,
        title=title.strip(),
        description=description,
        venue=venue.strip(),
        online_url=online_url,
    )
    if len(title.strip()) < 5:
        errors["title"] = _("The title needs at least 5 characters.")
    if not description.strip():
        errors["description"] = _("Describe the event.")
    if not is_valid_timezone(tz):
        errors["timezone"] = _("Unknown time zone: %(name)s") % {"name": tz[:64]}
    if ends_at <= starts_at:
        errors["ends_at"] = _("The event must end after it starts.")
    elif ends_at - starts_at > MAX_DURATION:
        errors["ends_at"] = _("An event can last at most 14 days.")
    if not online_url and not venue.strip():
        errors["venue"] = _("Give a venue, an online link, or both.")
    if online_url:
        try:
            URLValidator(schemes=["https", "http"])(online_url)
        except ValidationError:
            errors["online_url"] = _("Enter a valid http(s) link.")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Capacity must be between 1 and %(n)d, or empty for no limit.") % {
            "n": MAX_CAPACITY
        }
    return errors


@transaction.atomic
def create_event(
    *,
    organizer: User,
    title: str,
    kind: str,
    description: str,
    starts_at: datetime,
    ends_at: datetime,
    tz: str,
    online_url: str = "",
    venue: str = "",
    capacity: int | None = None,
    speakers: str = "",
) -> Event:
    if not permissions.can_create_event(organizer):
        raise PermissionDenied(_("You may not create events."))
    errors = _validate(
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        tz=tz,
        online_url=online_url,
        venue=venue,
        capacity=capacity,
    )
    if kind not in Event.Kind.values:
        errors["kind"] = _("Choose what kind of event it is.")
    errors |= length_errors(Event, speakers=speakers.strip())
    if errors:
        raise ValidationError(errors)
    event = Event.objects.create(
        title=title.strip(),
        kind=kind,
        description=description,
        description_html=render(description),
        organizer=organizer,
        speakers=speakers.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz,
        online_url=online_url,
        venue=venue.strip(),
        capacity=capacity,
    )
    event.topic = _open_discussion(event)
    event.save(update_fields=["topic"])
    return event


def _open_discussion(event: Event):
    from agora.forum.services import open_discussion

    raw = f"{event.description}\n\n[{_('Event page and RSVP')}]({event.get_absolute_url()})"
    return open_discussion(
        author=event.organizer, category_slug="events", title=event.title, raw=raw
    )


@transaction.atomic
def update_materials(*, actor: User, event: Event, slides_url: str, recording_url: str) -> Event:
    if not permissions.can_manage_event(actor, event):
        raise PermissionDenied(_("Only the organizer or staff can change this event."))
    validate = URLValidator(schemes=["https", "http"])
    errors = length_errors(Event, slides_url=slides_url, recording_url=recording_url)
    for field, value in (("slides_url", slides_url), ("recording_url", recording_url)):
        if value:
            try:
                validate(value)
            except ValidationError:
                errors.setdefault(field, _("Enter a valid http(s) link."))
    if errors:
        raise ValidationError(errors)
    event.slides_url, event.recording_url = slides_url, recording_url
    event.save(update_fields=["slides_url", "recording_url"])
    return event


def _going_count(event: Event) -> int:
    return RSVP.objects.filter(event=event, status=RSVP.Status.GOING).count()


@transaction.atomic
def rsvp(*, user: User, event: Event) -> RSVP:
    """Take a seat, or a place on the waiting list when the event is full. The event row is locked
    (SQLite: the IMMEDIATE transaction) so two last-seat requests cannot both get it."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not permissions.can_rsvp(user):
        raise PermissionDenied(_("Log in to RSVP."))
    if event.cancelled:
        raise ValidationError(_("This event was cancelled."))
    if event.ends_at <= timezone.now():
        raise ValidationError(_("This event is over."))
    existing = RSVP.objects.filter(event=event, user=user).first()
    if existing and existing.status != RSVP.Status.CANCELLED:
        return existing
    full = event.capacity is not None and _going_count(event) >= event.capacity
    status = RSVP.Status.WAITLIST if full else RSVP.Status.GOING
    if existing:
        existing.status = status
        existing.created_at = timezone.now()  # back of the queue
        existing.save(update_fields=["status", "created_at", "updated_at"])
        return existing
    try:
        with transaction.atomic():
            return RSVP.objects.create(event=event, user=user, status=status)
    except IntegrityError:
        return RSVP.objects.get(event=event, user=user)


@transaction.atomic
def cancel_rsvp(*, user: User, event: Event) -> RSVP | None:
    """Give up a seat; the first member on the waiting list moves up and is told by email."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    mine = RSVP.objects.filter(event=event, user=user).exclude(status=RSVP.Status.CANCELLED).first()
    if mine is None:
        return None
    had_seat = mine.status == RSVP.Status.GOING
    mine.status = RSVP.Status.CANCELLED
    mine.save(update_fields=["status", "updated_at"])
    if had_seat:
        promote_waiting_list(event=event)
    return mine


def promote_waiting_list(*, event: Event) -> list[RSVP]:
    promoted = []
    while event.capacity is None or _going_count(event) < event.capacity:
        nxt = (
            RSVP.objects.filter(event=event, status=RSVP.Status.WAITLIST)
            .order_by("created_at", "id")
            .first()
        )
        if nxt is None:
            break
        nxt.status = RSVP.Status.GOING
        nxt.save(update_fields=["status", "updated_at"])
        promoted.append(nxt)
    from agora.events.tasks import send_promotion_email

    for seat in promoted:
        jobs.enqueue(send_promotion_email, seat.id)
    return promoted


def _email(seat: RSVP, *, subject: str, template: str, context: dict) -> None:
    """One email about an event to a member with a seat, in their language, unless they turned
    event emails off; it carries one-click unsubscribe."""
    from agora.core.services import queue_member_email
    from agora.notifications import services as notifications

    member = seat.user
    if not notifications.wants_email(member, notifications.EVENTS):
        return
    queue_member_email(
        member=member,
        subject=subject,
        template=template,
        context={"event": seat.event, "url": _site_url(seat.event.get_absolute_url()), **context},
        unsubscribe_url=notifications.unsubscribe_url(member=member, kind=notifications.EVENTS),
    )


def _site_url(path: str) -> str:
    from django.conf import settings as django_settings

    return f"{django_settings.AGORA_SITE_URL}{path}"


def email_promotion(*, rsvp_id: int) -> bool:
    seat = (
        RSVP.objects.select_related("event", "user")
        .filter(pk=rsvp_id, status=RSVP.Status.GOING)
        .first()
    )
    if seat is None or not seat.user.email:
        return False
    from agora.core.services import language_of

    with translation.override(language_of(seat.user)):
        subject = _("A seat opened up: %(title)s") % {"title": seat.event.title}
    _email(seat, subject=subject, template="events/email/seat_opened", context={})
    return True


def send_reminders(*, now: datetime | None = None) -> int:
    """Email attendees of events starting within the next 24 hours, once each."""
    from django.utils import formats
    from django.utils import timezone as tz

    from agora.core.services import language_of

    now = now or timezone.now()
    due = RSVP.objects.filter(
        status=RSVP.Status.GOING,
        reminder_sent_at__isnull=True,
        event__cancelled=False,
        event__starts_at__gt=now,
        event__starts_at__lte=now + timedelta(hours=24),
    ).select_related("event", "user")
    sent = 0
    for seat in due:
        claimed = RSVP.objects.filter(pk=seat.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        if not claimed or not seat.user.email:
            continue
        zone = seat.user.timezone or seat.event.timezone
        with translation.override(language_of(seat.user)), tz.override(zone):
            when = formats.date_format(tz.localtime(seat.event.starts_at), "DATETIME_FORMAT")
            subject = _("Tomorrow: %(title)s") % {"title": seat.event.title}
        _email(
            seat,
            subject=subject,
            template="events/email/reminder",
            context={"when": when, "zone": zone},
        )
        sent += 1
    return sent


def give_up_seats(*, user: User) -> None:
    """Before a member is deleted: each seat they hold at an event to come goes to the waiting
    list, as if they had cancelled."""
    upcoming = RSVP.objects.filter(
        user=user, status=RSVP.Status.GOING, event__ends_at__gt=timezone.now()
    ).select_related("event")
    for seat in upcoming:
        cancel_rsvp(user=user, event=seat.event)
