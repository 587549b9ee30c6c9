"""Members, search, events, launches and partner requests."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from agora.accounts import selectors as member_selectors
from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.routers.forum import post_out
from agora.api.schemas import (
    EventIn,
    EventOut,
    LaunchIn,
    LaunchOut,
    MaterialsIn,
    MemberOut,
    PartnerRequestIn,
    PartnerRequestOut,
    RsvpOut,
    SearchOut,
    SignupDetailOut,
    SignupIn,
    SignupOut,
    UpvoteOut,
    member_ref,
    one_of,
    page_of,
)
from agora.core.params import parse_id
from agora.core.timezones import is_valid_timezone
from agora.events import selectors as event_selectors
from agora.events import services as event_services
from agora.forum import permissions
from agora.search import selectors as search_selectors
from agora.showcase import selectors as showcase_selectors
from agora.showcase import services as showcase_services
from agora.showcase.models import Launch, Upvote

router = Router(tags=["community"])
MemberPage = page_of(MemberOut)
EventPage = page_of(EventOut)
LaunchPage = page_of(LaunchOut)
PartnerRequestPage = page_of(PartnerRequestOut)


def member_out(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "bio": user.bio,
        "skills": list(user.skills or []),
        "interests": list(user.interests or []),
        "date_joined": user.date_joined,
        "url": user.get_absolute_url(),
    }


def _int_cursor(cursor: str | None) -> int | None:
    return parse_id(cursor)


@router.get("/members", response={200: MemberPage, **ERRORS})
def list_members(request: HttpRequest, cursor: str | None = None, prefix: str = ""):
    """Active members, newest first; with `prefix`, the @mention suggestions instead (at most 8
    whose username or display name starts so, one page)."""
    if prefix.strip().lstrip("@"):
        found = member_selectors.suggest_members(prefix=prefix)
        return {"items": [member_out(m) for m in found], "next_cursor": None}
    rows, next_id = member_selectors.members_page(before=_int_cursor(cursor))
    return {
        "items": [member_out(m) for m in rows],
        "next_cursor": str(next_id) if next_id else None,
    }


@router.get("/members/{username}", response={200: MemberOut, **ERRORS})
def get_member(request: HttpRequest, username: str):
    member = member_selectors.get_profile_for_viewer(username=username, viewer=viewer(request))
    return member_out(member)


@router.get("/search", response={200: SearchOut, **ERRORS})
def search(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=200),
    cursor: str | None = None,
):
    """Posts matching the query that the caller may see, best first; the cursor is a page
    number."""
    page = _int_cursor(cursor) or 1
    page = min(page, 50)
    result = search_selectors.search_posts(
        text=q, viewer=viewer(request), access=permissions.get_access(request), page=page
    )
    user = viewer(request)
    return {
        "items": [
            {"post": post_out(r.post, user), "topic_title": r.post.topic.title}
            for r in result.results
        ],
        "next_cursor": str(page + 1) if result.has_next and page < 50 else None,
    }


def event_out(event) -> dict:
    return {
        "id": event.id,
        "title": event.title,
        "kind": event.kind,
        "organizer": member_ref(event.organizer),
        "speakers": event.speakers,
        "description_html": event.description_html,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "timezone": event.timezone,
        "venue": event.venue,
        "capacity": event.capacity,
        "going_count": getattr(event, "going_count", 0),
        "waitlist_count": getattr(event, "waitlist_count", 0),
        "cancelled": event.cancelled,
        "slides_url": event.slides_url,
        "recording_url": event.recording_url,
        "url": event.get_absolute_url(),
    }


@router.get("/events", response={200: EventPage, **ERRORS})
def list_events(request: HttpRequest, past: bool = False, cursor: str | None = None):
    """Upcoming events soonest first, or past ones (`?past=true`) latest first; 30 a page."""
    page = event_selectors.past_events if past else event_selectors.upcoming_events
    rows, next_cursor = page(cursor=cursor)
    return {"items": [event_out(e) for e in rows], "next_cursor": next_cursor}


def _aware(moment: datetime, tz: str, field: str) -> datetime:
    """Naive times are read in the event's time zone; far-off years are refused."""
    if not 2000 <= moment.year <= 2100:
        raise ValidationError({field: _("Choose a date between 2000 and 2100.")})
    if timezone.is_aware(moment):
        return moment
    zone = ZoneInfo(tz) if is_valid_timezone(tz) else UTC
    return timezone.make_aware(moment, zone)


@router.post("/events", response={201: EventOut, **ERRORS})
def create_event(request: HttpRequest, payload: EventIn):
    """Create an event (members who may start topics in the Events category, and staff)."""
    user = require(request, "write")
    data = payload.dict()
    data["tz"] = data.pop("timezone")
    data["starts_at"] = _aware(payload.starts_at, payload.timezone, "starts_at")
    data["ends_at"] = _aware(payload.ends_at, payload.timezone, "ends_at")
    event = event_services.create_event(organizer=user, **data)
    return Status(201, event_out(event_selectors.get_event(event_id=event.id)))


@router.get("/events/{event_id}", response={200: EventOut, **ERRORS})
def get_event(request: HttpRequest, event_id: int):
    return event_out(event_selectors.get_event(event_id=_bounded(event_id)))


@router.post("/events/{event_id}/rsvp", response={200: RsvpOut, **ERRORS})
def rsvp(request: HttpRequest, event_id: int):
    """Say you are going; when the event is full you join the waiting list."""
    user = require(request, "write")
    event = event_selectors.get_event(event_id=_bounded(event_id))
    answer = event_services.rsvp(user=user, event=event)
    return {"status": answer.status}


@router.delete("/events/{event_id}/rsvp", response={200: RsvpOut, **ERRORS})
def cancel_rsvp(request: HttpRequest, event_id: int):
    user = require(request, "write")
    event = event_selectors.get_event(event_id=_bounded(event_id))
    event_services.cancel_rsvp(user=user, event=event)
    return {"status": None}


@router.patch("/events/{event_id}/materials", response={200: EventOut, **ERRORS})
def update_materials(request: HttpRequest, event_id: int, payload: MaterialsIn):
    """The organizer (or staff) links the slides and the recording after the event."""
    user = require(request, "write")
    event = event_selectors.get_event(event_id=_bounded(event_id))
    event_services.update_materials(
        actor=user,
        event=event,
        slides_url=payload.slides_url.strip(),
        recording_url=payload.recording_url.strip(),
    )
    return event_out(event)


def _bounded(value: int) -> int:
    from django.http import Http404

    if not 0 < value < 2**31:
        raise Http404("No such object")
    return value


def launch_out(launch) -> dict:
    return {
        "id": launch.id,
        "name": launch.name,
        "tagline": launch.tagline,
        "description_html": launch.description_html,
        "audience": launch.audience,
        "website": launch.website,
        "repository": launch.repository,
        "owner": member_ref(launch.owner),
        "vote_count": launch.vote_count,
        "launched_at": launch.launched_at,
        "url": launch.get_absolute_url(),
    }


@router.get("/launches", response={200: LaunchPage, **ERRORS})
def list_launches(
    request: HttpRequest,
    period: one_of(("day", "week")) = "week",
    cursor: str | None = None,
):
    """The launch board of the day or the week, most upvoted first; 30 a page."""
    rows, next_cursor = showcase_selectors.launch_board(period=period, cursor=cursor)
    return {"items": [launch_out(launch) for launch in rows], "next_cursor": next_cursor}


@router.post("/launches", response={201: LaunchOut, **ERRORS})
def create_launch(request: HttpRequest, payload: LaunchIn):
    """Launch a product on the board (its discussion topic is opened for you)."""
    user = require(request, "write")
    launch = showcase_services.create_launch(owner=user, **payload.dict())
    return Status(201, launch_out(showcase_selectors.get_launch(launch_id=launch.id)))


@router.get("/launches/{launch_id}/signups", response={200: list[SignupDetailOut], **ERRORS})
def list_signups(request: HttpRequest, launch_id: int):
    """The launch's owner only: who asked to try it, with the email they agreed to share (the
    CSV export's rows)."""
    user = require(request, "read")
    launch = showcase_selectors.get_launch(launch_id=_bounded(launch_id))
    return [
        {
            "username": s.user.username,
            "email": s.user.email,
            "note": s.note,
            "consent": s.consent_text,
            "created_at": s.created_at,
        }
        for s in showcase_selectors.signups_for_owner(user=user, launch=launch)
    ]


@router.post("/launches/{launch_id}/signups", response={201: SignupOut, **ERRORS})
def sign_up_to_try(request: HttpRequest, launch_id: int, payload: SignupIn):
    """Ask to try a launch; `consent: true` shares your username and e-mail with its owner."""
    user = require(request, "write")
    launch = showcase_selectors.get_launch(launch_id=_bounded(launch_id))
    signup = showcase_services.sign_up_to_try(
        user=user, launch=launch, note=payload.note, consent=payload.consent
    )
    return Status(
        201, {"launch_id": launch.id, "note": signup.note, "created_at": signup.created_at}
    )


@router.get("/launches/{launch_id}", response={200: LaunchOut, **ERRORS})
def get_launch(request: HttpRequest, launch_id: int):
    return launch_out(showcase_selectors.get_launch(launch_id=_bounded(launch_id)))


@router.post("/launches/{launch_id}/upvote", response={200: UpvoteOut, **ERRORS})
def upvote(request: HttpRequest, launch_id: int):
    """Upvote a launch (once; a second vote counts nothing)."""
    user = require(request, "write")
    launch = showcase_selectors.get_launch(launch_id=_bounded(launch_id))
    showcase_services.upvote(user=user, launch=launch)
    count = Launch.objects.values_list("vote_count", flat=True).get(pk=launch.pk)
    voted = Upvote.objects.filter(launch=launch, user=user).exists()
    return {"upvoted": voted, "vote_count": count}


def partner_out(obj) -> dict:
    return {
        "id": obj.id,
        "title": obj.title,
        "role": obj.role,
        "description_html": obj.description_html,
        "skills": list(obj.skills or []),
        "location": obj.location,
        "remote": obj.remote,
        "author": member_ref(obj.author),
        "expires_at": obj.expires_at,
        "closed": obj.closed or obj.expires_at <= timezone.now(),
        "created_at": obj.created_at,
        "url": obj.get_absolute_url(),
    }


@router.get("/partner-requests", response={200: PartnerRequestPage, **ERRORS})
def list_partner_requests(request: HttpRequest, cursor: str | None = None):
    """Open partner requests, newest first; 30 a page."""
    rows, next_cursor = showcase_selectors.open_requests_page(cursor=cursor)
    return {"items": [partner_out(r) for r in rows], "next_cursor": next_cursor}


@router.post("/partner-requests", response={201: PartnerRequestOut, **ERRORS})
def create_partner_request(request: HttpRequest, payload: PartnerRequestIn):
    """Look for a partner: `skills` is comma-separated; the request expires after `days`."""
    user = require(request, "write")
    obj = showcase_services.create_partner_request(author=user, **payload.dict())
    return Status(201, partner_out(obj))


@router.get("/partner-requests/{request_id}", response={200: PartnerRequestOut, **ERRORS})
def get_partner_request(request: HttpRequest, request_id: int):
    obj = showcase_selectors.get_request(request_id=_bounded(request_id), viewer=viewer(request))
    return partner_out(obj)


@router.post("/partner-requests/{request_id}/close", response={200: PartnerRequestOut, **ERRORS})
def close_partner_request(request: HttpRequest, request_id: int):
    user = require(request, "write")
    obj = showcase_selectors.get_request(request_id=_bounded(request_id), viewer=user)
    showcase_services.close_partner_request(user=user, request_obj=obj)
    obj.refresh_from_db()
    return partner_out(obj)
