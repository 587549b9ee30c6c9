import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from agora.conftest import make_member
from agora.events import services
from agora.events.models import RSVP, Event
from agora.forum.models import Category


def make_event(organizer, capacity=None, **kw) -> Event:
    start = kw.pop("starts_at", timezone.now() + timedelta(days=2))
    defaults = {
        "title": "Seminar on samplers",
        "kind": "seminar",
        "description": "All about **DDIM**.",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "tz": "Europe/Berlin",
        "venue": "Room 1",
        "capacity": capacity,
    }
    defaults.update(kw)
    return services.create_event(organizer=organizer, **defaults)


@pytest.fixture
def events_category(db):
    return Category.objects.create(slug="events", name="Events")


@pytest.mark.django_db
def test_member_creates_an_event_in_its_own_time_zone(alice_client, alice, events_category):
    response = alice_client.post(
        "/events/new/",
        {
            "title": "Evening lecture on GANs",
            "kind": "lecture",
            "description": "Minimax **games**.",
            "starts_at": "2030-05-01T19:00",
            "ends_at": "2030-05-01T20:30",
            "timezone": "Asia/Shanghai",
            "online_url": "https://meet.example.org/gan",
            "capacity": "50",
        },
    )
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.starts_at == datetime(2030, 5, 1, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
    assert event.topic is not None and event.topic.category == events_category
    # A viewer in New York sees the same moment in their own zone.
    bob = make_member("ny", timezone="America/New_York")
    alice_client.force_login(bob)
    page = alice_client.get(event.get_absolute_url()).content.decode()
    assert "Wed, 1 May 2030, 07:00" in page and "America/New_York" in page
    assert "At the event: Wed, 1 May 2030, 19:00 (Asia/Shanghai)" in page
    assert "meet.example.org" not in page  # only attendees see the link


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ends_at", "2030-05-01T18:00", "must end after it starts"),
        ("timezone", "Mars/Olympus", "Unknown time zone"),
        ("online_url", "javascript:alert(1)", "valid http(s) link"),
        ("capacity", "0", "greater than or equal to 1"),
    ],
)
def test_bad_event_input_is_refused(alice_client, events_category, field, value, message):
    data = {
        "title": "Evening lecture on GANs",
        "kind": "lecture",
        "description": "Minimax.",
        "starts_at": "2030-05-01T19:00",
        "ends_at": "2030-05-01T20:30",
        "timezone": "Asia/Shanghai",
        "venue": "Hall A",
    }
    data[field] = value
    response = alice_client.post("/events/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_members_without_access_to_the_events_category_cannot_create(alice):
    with pytest.raises(PermissionDenied):
        make_event(alice)  # no Events category: staff only


@pytest.mark.django_db
def test_capacity_waiting_list_and_automatic_move_up(
    staff, alice, bob, charlie, django_capture_on_commit_callbacks
):
    event = make_event(staff, capacity=2)
    assert services.rsvp(user=alice, event=event).status == "going"
    assert services.rsvp(user=bob, event=event).status == "going"
    assert services.rsvp(user=charlie, event=event).status == "waitlist"
    assert services.rsvp(user=charlie, event=event).status == "waitlist"  # twice changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_rsvp(user=alice, event=event)
    assert RSVP.objects.get(user=charlie).status == "going"
    assert (
        mail.outbox[-1].to == ["charlie@example.com"]
        and "seat opened up" in mail.outbox[-1].subject
    )


@pytest.mark.django_db(transaction=True)
def test_two_sessions_race_for_the_last_seat():
    organizer = make_member("organizer", is_staff=True)
    racers = [make_member(f"racer{i}") for i in range(2)]
    event = make_event(organizer, capacity=1)
    barrier = threading.Barrier(2)
    errors = []

    def take(user):
        try:
            barrier.wait()
            services.rsvp(user=user, event=event)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(u,)) for u in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(RSVP.objects.values_list("status", flat=True)) == ["going", "waitlist"]


@pytest.mark.django_db
def test_rsvp_through_the_page_and_see_the_link(staff, alice, client):
    event = make_event(staff, capacity=1, online_url="https://meet.example.org/x")
    client.force_login(alice)
    response = client.post(f"/events/{event.id}/rsvp/", follow=True)
    body = response.content.decode()
    assert "You have a seat" in body and "https://meet.example.org/x" in body
    assert client.post(f"/events/{event.id}/rsvp/").status_code == 302
    assert RSVP.objects.count() == 1


@pytest.mark.django_db
def test_past_events_refuse_rsvp(staff, alice):
    event = make_event(staff, starts_at=timezone.now() - timedelta(days=3))
    with pytest.raises(ValidationError, match="over"):
        services.rsvp(user=alice, event=event)


@pytest.mark.django_db
def test_ics_and_private_calendar_feed(staff, alice, client):
    event = make_event(staff, title="Seminar, with; special chars")
    ics = client.get(f"/events/{event.id}.ics").content.decode()
    assert "BEGIN:VEVENT" in ics and "SUMMARY:Seminar\\, with\\; special chars" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    services.rsvp(user=alice, event=event)
    client.force_login(alice)
    page = client.get("/events/calendar/").content.decode()
    token = page.split('value="http://testserver/events/calendar/')[1].split(".ics")[0]
    client.logout()
    feed = client.get(f"/events/calendar/{token}.ics").content.decode()
    assert "Seminar" in feed
    client.force_login(alice)
    client.post("/events/calendar/")
    client.logout()
    assert client.get(f"/events/calendar/{token}.ics").status_code == 404


@pytest.mark.django_db
def test_reminders_go_once_a_day_before(staff, alice, django_capture_on_commit_callbacks):
    soon = make_event(staff, starts_at=timezone.now() + timedelta(hours=20))
    later = make_event(staff, starts_at=timezone.now() + timedelta(days=5), title="Later seminar")
    services.rsvp(user=alice, event=soon)
    services.rsvp(user=alice, event=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_reminders() == 1
        assert services.send_reminders() == 0
    assert mail.outbox[-1].subject.endswith("Tomorrow: Seminar on samplers")


@pytest.mark.django_db
def test_only_organizer_or_staff_add_materials(staff, alice, client):
    event = make_event(staff)
    client.force_login(alice)
    client.post(
        f"/events/{event.id}/materials/",
        {"slides_url": "https://x.example/s.pdf", "recording_url": ""},
    )
    event.refresh_from_db()
    assert event.slides_url == ""
    client.force_login(staff)
    client.post(
        f"/events/{event.id}/materials/",
        {"slides_url": "https://x.example/s.pdf", "recording_url": ""},
    )
    event.refresh_from_db()
    assert event.slides_url == "https://x.example/s.pdf"
