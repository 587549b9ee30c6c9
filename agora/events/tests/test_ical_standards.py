"""Every .ics Agora serves is valid RFC 5545 as the `icalendar` library reads it, is stable until
the event changes, and carries the online meeting link only to those who may see it."""

from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from agora.conftest import make_member
from agora.events import services
from agora.events.models import CalendarToken, Event
from agora.events.tests.test_events import make_event

SECRET_LINK = "https://meet.example.org/room-3c9f1e77"


def parse(body: bytes) -> icalendar.Calendar:
    """The calendar, asserting what RFC 5545 requires of it and of each event."""
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["VERSION"]) == "2.0" and calendar.get("PRODID")
    assert str(calendar["METHOD"]) == "PUBLISH"
    for component in calendar.walk():
        assert component.errors == [], component.errors
    events = calendar.walk("VEVENT")
    for event in events:
        for required in ("UID", "DTSTAMP", "DTSTART", "LAST-MODIFIED", "SEQUENCE"):
            assert event.get(required) is not None, required
        assert str(event["UID"]).endswith("@agora.example.org")
        assert event["DTEND"].dt > event["DTSTART"].dt
    assert all(len(line) <= 75 for line in body.split(b"\r\n")), "lines are folded at 75 octets"
    return calendar


def calendar_feed_url(client, member) -> str:
    client.force_login(member)
    assert client.get("/events/calendar/").status_code == 200  # makes the member's token
    client.logout()
    return f"/events/calendar/{CalendarToken.objects.get(user=member).token}.ics"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.AGORA_SITE_URL = "https://agora.example.org"


@pytest.mark.django_db
def test_event_ics_is_valid_and_stable_until_the_event_changes(staff, client):
    event = make_event(staff, title="Seminar, with; special chars")
    Event.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    first = client.get(f"/events/{event.id}.ics")
    assert first["Content-Type"].startswith("text/calendar")
    vevent = parse(first.content).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Seminar, with; special chars"
    assert str(vevent["UID"]) == f"event-{event.id}@agora.example.org"
    assert int(vevent["SEQUENCE"]) == 0
    # Downloading again gives the same bytes: DTSTAMP is when the event changed, not "now".
    assert client.get(f"/events/{event.id}.ics").content == first.content

    event = Event.objects.get(pk=event.pk)
    event.starts_at += timedelta(hours=1)
    event.ends_at += timedelta(hours=1)
    event.save()
    moved = parse(client.get(f"/events/{event.id}.ics").content).walk("VEVENT")[0]
    assert int(moved["SEQUENCE"]) == 1
    assert moved["LAST-MODIFIED"].dt > vevent["LAST-MODIFIED"].dt
    assert moved["DTSTAMP"].dt == moved["LAST-MODIFIED"].dt

    # New slides do not change what the calendar shows: no new revision for calendars.
    services.update_materials(
        actor=staff, event=event, slides_url="https://x.example/s.pdf", recording_url=""
    )
    again = parse(client.get(f"/events/{event.id}.ics").content).walk("VEVENT")[0]
    assert int(again["SEQUENCE"]) == 1


@pytest.mark.django_db
def test_control_characters_in_stored_event_text_keep_the_ics_valid(staff, client):
    event = make_event(staff)
    # A row written before text was normalised (update() skips the model layer).
    Event.objects.filter(pk=event.pk).update(
        title="Bad\r\nX-INJECTED:1\x01 title", description="one\x02\r\ntwo", venue="Hall\x0b A"
    )
    calendar = parse(client.get(f"/events/{event.id}.ics").content)
    vevent = calendar.walk("VEVENT")[0]
    assert "X-INJECTED" not in vevent  # the title could not start a property of its own
    assert str(vevent["SUMMARY"]) == "Bad X-INJECTED:1 title"
    assert str(vevent["DESCRIPTION"]) == "one\ntwo"
    assert str(vevent["LOCATION"]) == "Hall A"


@pytest.mark.django_db
def test_event_text_is_normalised_when_the_event_is_created(staff):
    event = make_event(staff, title="Evening\x07 talk\r", description="a\r\nb\x1b c")
    event.refresh_from_db()
    assert (event.title, event.description) == ("Evening talk", "a\nb c")


@pytest.mark.django_db
def test_the_meeting_link_reaches_only_attendees_and_the_organizer(staff, alice, bob, client):
    """Canary: the meeting link never appears for an anonymous visitor, a member without a seat
    or a member on the waiting list — neither on the page, nor in the .ics, nor in their
    calendar feed."""
    event = make_event(staff, capacity=1, online_url=SECRET_LINK, venue="")
    charlie = make_member("charlie_nonattendee")
    services.rsvp(user=alice, event=event)  # the one seat
    services.rsvp(user=bob, event=event)  # waiting list
    feeds = {member.username: calendar_feed_url(client, member) for member in (alice, bob)}

    def sees_link(member) -> dict[str, bool]:
        client.logout()
        if member is not None:
            client.force_login(member)
        found = {}
        for url in (f"/events/{event.id}/", f"/events/{event.id}.ics"):
            response = client.get(url)
            assert response.status_code == 200, url
            found[url] = SECRET_LINK in response.content.decode()
        return found

    assert not any(sees_link(None).values())
    assert not any(sees_link(charlie).values())
    assert not any(sees_link(bob).values())
    assert all(sees_link(alice).values())
    assert all(sees_link(staff).values())
    client.logout()
    bob_feed = client.get(feeds[bob.username])
    parse(bob_feed.content)
    assert b"room-3c9f1e77" not in bob_feed.content.replace(b"\r\n ", b"")
    alice_feed = parse(client.get(feeds[alice.username]).content)
    assert SECRET_LINK in str(alice_feed.walk("VEVENT")[0]["LOCATION"])

    # Alice gives up her seat: bob moves up and his feed now has the link; hers is gone.
    client.force_login(alice)
    client.post(f"/events/{event.id}/cancel/")
    client.logout()
    assert SECRET_LINK in str(
        parse(client.get(feeds[bob.username]).content).walk("VEVENT")[0]["LOCATION"]
    )


@pytest.mark.django_db
def test_calendar_feed_lists_seats_soonest_first(staff, alice, client):
    later = make_event(staff, title="Later seminar", starts_at=timezone.now() + timedelta(days=9))
    sooner = make_event(staff, title="Sooner seminar")
    services.rsvp(user=alice, event=later)
    services.rsvp(user=alice, event=sooner)
    calendar = parse(client.get(calendar_feed_url(client, alice)).content)
    titles = [str(v["SUMMARY"]) for v in calendar.walk("VEVENT")]
    assert titles == ["Sooner seminar", "Later seminar"]
