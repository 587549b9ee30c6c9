"""Events (lectures, seminars, meetups, hackathons) with RSVP, capacity and a waiting list."""

from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.timezone import now as utc_now
from django.utils.translation import gettext_lazy as _

# What a calendar shows of an event: a change to one of these is a new revision of it (RFC 5545
# SEQUENCE and LAST-MODIFIED), so calendar apps that subscribed update their copy.
CALENDAR_FIELDS = (
    "title",
    "description",
    "starts_at",
    "ends_at",
    "timezone",
    "online_url",
    "venue",
    "cancelled",
)
MAX_CAPACITY = 100_000  # seats; the form, the API and the service share it


class Event(models.Model):
    class Kind(models.TextChoices):
        LECTURE = "lecture", _("Lecture")
        SEMINAR = "seminar", _("Seminar")
        MEETUP = "meetup", _("Meetup")
        HACKATHON = "hackathon", _("Hackathon")

    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LECTURE)
    description = models.TextField(_("description"), max_length=20_000)
    description_html = models.TextField()
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="organized_events"
    )
    speakers = models.CharField(_("speakers"), max_length=300, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    timezone = models.CharField(_("time zone"), max_length=64)
    online_url = models.URLField(
        _("online link"), blank=True, help_text=_("Shown only to attendees.")
    )
    venue = models.CharField(_("venue"), max_length=300, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    slides_url = models.URLField(_("slides"), blank=True)
    recording_url = models.URLField(_("recording"), blank=True)
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="event"
    )
    cancelled = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # When what a calendar shows last changed, and how many times (iCalendar SEQUENCE).
    updated_at = models.DateTimeField(default=utc_now)
    sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            # The keysets of the upcoming (ascending) and past (descending) pages.
            models.Index(fields=["starts_at", "id"], name="event_starts"),
            models.Index(fields=["-starts_at", "-id"], name="event_starts_desc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="event_capacity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db, field_names, values):
        event = super().from_db(db, field_names, values)
        event._calendar_as_loaded = event._calendar_state()
        return event

    def _calendar_state(self) -> tuple | None:
        if any(name in self.get_deferred_fields() for name in CALENDAR_FIELDS):
            return None
        return tuple(getattr(self, name) for name in CALENDAR_FIELDS)

    def save(self, *args, **kwargs) -> None:
        """A change to what calendars show (from a service or the admin) bumps SEQUENCE and
        LAST-MODIFIED, so a subscribed calendar replaces its copy."""
        loaded = getattr(self, "_calendar_as_loaded", None)
        state = self._calendar_state()
        if loaded is not None and state is not None and loaded != state:
            self.sequence += 1
            self.updated_at = utc_now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "sequence", "updated_at"}
        super().save(*args, **kwargs)
        self._calendar_as_loaded = state

    def get_absolute_url(self) -> str:
        return reverse("events:detail", kwargs={"event_id": self.id})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def is_online(self) -> bool:
        return bool(self.online_url)


class RSVP(models.Model):
    class Status(models.TextChoices):
        GOING = "going", _("Going")
        WAITLIST = "waitlist", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    created_at = models.DateTimeField(auto_now_add=True)  # the waiting list's order
    updated_at = models.DateTimeField(auto_now=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="rsvp_once")]
        indexes = [models.Index(fields=["event", "status", "created_at"], name="rsvp_event_status")]


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarToken(models.Model):
    """The secret in a member's personal calendar feed URL; regenerating it revokes the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
