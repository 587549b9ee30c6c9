"""Deleting a member takes back what they added to others' things: likes, reactions, upvotes and
stars leave the counts people see, and a seat they held goes to the first on the waiting list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from agora.accounts import services
from agora.accounts.models import User
from agora.core.tests.world import _png


@pytest.fixture
def marks(db, alice, bob, charlie, staff, settings, tmp_path):
    """bob likes, reacts, upvotes and stars alice's things and holds the one seat of her event;
    charlie waits for it."""
    from agora.events.models import RSVP
    from agora.events.services import create_event, rsvp
    from agora.forum.models import Category
    from agora.forum.services import create_topic, like_post
    from agora.gallery.services import toggle_reaction, upload_work
    from agora.lab.models import LabModel, TrainingRun
    from agora.lab.services.publishing import toggle_star
    from agora.showcase.services import create_launch, upvote

    settings.MEDIA_ROOT = tmp_path
    Category.objects.create(slug="events", name="Events")
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    topic = create_topic(author=alice, category=lounge, title="Samplers at twenty steps", raw="Hi")
    post = topic.posts.get()
    like_post(user=bob, post=post)
    like_post(user=charlie, post=post)
    work, _notes = upload_work(
        author=alice, upload=SimpleUploadedFile("w.png", _png()), title="Sunset"
    )
    toggle_reaction(user=bob, work=work, kind="wow")
    launch = create_launch(
        owner=alice,
        name="Promptly",
        tagline="Prompts",
        description="It helps.",
        audience="Artists",
        website="https://example.com/p",
    )
    upvote(user=bob, launch=launch)
    run = TrainingRun.objects.create(
        owner=alice,
        title="GAN",
        family="gan",
        dataset="moons",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
    )
    model = LabModel.objects.create(
        run=run, owner=alice, name="Model", checkpoint="lab/models/x.safetensors"
    )
    toggle_star(user=bob, model=model)
    start = timezone.now() + timedelta(days=2)
    event = create_event(
        organizer=alice,
        title="Reading group",
        kind="meetup",
        description="A paper.",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        tz="UTC",
        venue="Room 1",
        capacity=1,
    )
    rsvp(user=bob, event=event)
    waiting = rsvp(user=charlie, event=event)
    assert waiting.status == RSVP.Status.WAITLIST
    return {
        "post": post,
        "topic": topic,
        "work": work,
        "launch": launch,
        "model": model,
        "event": event,
        "waiting": waiting,
    }


def _counts(marks) -> dict[str, int]:
    for item in ("post", "topic", "work", "launch", "model", "waiting"):
        marks[item].refresh_from_db()
    return {
        "post likes": marks["post"].like_count,
        "topic likes": marks["topic"].like_count,
        "reactions": marks["work"].reaction_count,
        "upvotes": marks["launch"].vote_count,
        "stars": marks["model"].star_count,
    }


def test_staff_deleting_a_member_in_the_admin_takes_back_their_marks_and_seat(
    marks, bob, staff, django_capture_on_commit_callbacks
):
    from agora.events.models import RSVP

    assert _counts(marks) == {
        "post likes": 2,
        "topic likes": 2,
        "reactions": 1,
        "upvotes": 1,
        "stars": 1,
    }
    client = Client()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=bob.pk).exists()
    assert _counts(marks) == {
        "post likes": 1,
        "topic likes": 1,
        "reactions": 0,
        "upvotes": 0,
        "stars": 0,
    }
    assert marks["waiting"].status == RSVP.Status.GOING


def test_members_cannot_delete_members(marks, alice, bob):
    client = Client()
    client.force_login(alice)
    response = client.post(f"/admin/accounts/user/{bob.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    with pytest.raises(PermissionDenied):
        services.delete_member(actor=alice, member=bob)
    assert User.objects.filter(pk=bob.pk).exists()
    assert _counts(marks)["stars"] == 1


def test_staff_cannot_delete_themselves(staff):
    with pytest.raises(PermissionDenied):
        services.delete_member(actor=staff, member=staff)
    assert User.objects.filter(pk=staff.pk).exists()
