from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.core.timezones import all_timezones
from agora.events import ical, permissions, selectors, services
from agora.events.forms import EventForm, MaterialsForm
from agora.events.models import CalendarToken, new_calendar_token


def _site_url() -> str:
    return getattr(settings, "AGORA_SITE_URL", "http://127.0.0.1:8000")


@require_safe
def event_list(request: HttpRequest) -> HttpResponse:
    """Upcoming events (pages by `cursor`) and past ones (pages by `past_cursor`); an htmx "more"
    gets only the next rows of the list it extends."""
    cursor, past_cursor = request.GET.get("cursor"), request.GET.get("past_cursor")
    htmx = request.headers.get("HX-Request") == "true"
    if htmx and past_cursor:
        past, past_next = selectors.past_events(cursor=past_cursor)
        context = {"past": past, "past_next": past_next}
        return render(request, "events/list.html#past-rows", context)
    upcoming, upcoming_next = selectors.upcoming_events(cursor=cursor)
    if htmx and cursor:
        context = {"upcoming": upcoming, "upcoming_next": upcoming_next}
        return render(request, "events/list.html#upcoming-rows", context)
    past, past_next = selectors.past_events(cursor=past_cursor)
    context = {
        "upcoming": upcoming,
        "upcoming_next": upcoming_next,
        "past": past,
        "past_next": past_next,
        "can_create": permissions.can_create_event(request.user),
    }
    return render(request, "events/list.html", context)


@require_safe
def detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event(event_id=event_id)
    mine = selectors.rsvp_for(event=event, user=request.user)
    context = {
        "event": event,
        "mine": mine,
        "position": selectors.waitlist_position(event=event, mine=mine),
        "attendees": selectors.attendees(event=event),
        "show_link": permissions.can_see_online_link(request.user, event, mine),
        "can_manage": permissions.can_manage_event(request.user, event),
        "materials_form": MaterialsForm(
            initial={"slides_url": event.slides_url, "recording_url": event.recording_url}
        ),
        "seats_left": None
        if event.capacity is None
        else max(0, event.capacity - event.going_count),
    }
    return render(request, "events/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_event(request.user):
        raise PermissionDenied(_("You may not create events."))
    if request.method == "POST":
        form = EventForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = services.create_event(
                    organizer=request.user,
                    title=data["title"],
                    kind=data["kind"],
                    description=data["description"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    tz=data["timezone"],
                    online_url=data["online_url"],
                    venue=data["venue"],
                    capacity=data["capacity"],
                    speakers=data["speakers"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The event was created."))
                return redirect(event.get_absolute_url())
    else:
        form = EventForm(initial={"timezone": request.user.timezone or "UTC"})
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "events/create.html", {"form": form, "timezones": all_timezones()}, status=status
    )


@login_required
@require_POST
def rsvp(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event(event_id=event_id)
    try:
        seat = services.rsvp(user=request.user, event=event)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if seat.status == seat.Status.GOING:
            messages.success(request, _("You have a seat. See you there!"))
        else:
            messages.info(
                request,
                _("The event is full: you are on the waiting list and will move up automatically."),
            )
    return redirect(event.get_absolute_url())


@login_required
@require_POST
def cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event(event_id=event_id)
    if services.cancel_rsvp(user=request.user, event=event):
        messages.success(request, _("Your RSVP was cancelled."))
    return redirect(event.get_absolute_url())


@login_required
@require_POST
def materials(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event(event_id=event_id)
    form = MaterialsForm(request.POST)
    if form.is_valid():
        try:
            services.update_materials(actor=request.user, event=event, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Slides and recording saved."))
    return redirect(event.get_absolute_url())


@require_safe
def event_ics(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event(event_id=event_id)
    mine = selectors.rsvp_for(event=event, user=request.user)
    body = ical.calendar(
        [event],
        site_url=_site_url(),
        name=event.title,
        show_link=lambda e: permissions.can_see_online_link(request.user, e, mine),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="agora-event-{event.id}.ics"'
    return response


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    owner, seats = selectors.member_calendar(token=token)
    seat_of = {seat.event_id: seat for seat in seats}
    body = ical.calendar(
        [seat.event for seat in seats],
        site_url=_site_url(),
        name=f"Agora — {owner.name}",
        # A place on the waiting list is not a seat: the meeting link stays with attendees.
        show_link=lambda e: permissions.can_see_online_link(owner, e, seat_of[e.id]),
    )
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


@login_required
@require_http_methods(["GET", "POST"])
def my_calendar(request: HttpRequest) -> HttpResponse:
    token, _created = CalendarToken.objects.get_or_create(user=request.user)
    if request.method == "POST":
        token.token = new_calendar_token()
        token.save(update_fields=["token"])
        messages.success(
            request, _("A new calendar address was made; the old one no longer works.")
        )
        return redirect("events:my_calendar")
    url = request.build_absolute_uri(f"/events/calendar/{token.token}.ics")
    return render(request, "events/my_calendar.html", {"feed_url": url})
