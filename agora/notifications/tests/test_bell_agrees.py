"""The bell's unread count counts exactly what the notifications list shows."""

from __future__ import annotations

import re

import pytest

from agora.forum import services as forum
from agora.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _bell(client) -> int:
    page = client.get("/latest/").content.decode()
    found = re.search(r'aria-label="Notifications, (\d+) unread"', page)
    return int(found.group(1)) if found else 0


def test_notifications_of_a_deleted_topic_leave_the_list_and_the_count(
    alice_client, alice, bob, lounge, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        kept = forum.create_topic(
            author=bob, category=lounge, title="A topic that stays", raw="Hello @alice."
        )
        doomed = forum.create_topic(
            author=bob, category=lounge, title="A topic soon deleted", raw="Hi again @alice."
        )
    assert Notification.objects.filter(user=alice, read_at=None).count() == 2
    assert _bell(alice_client) == 2
    forum.delete_post(actor=bob, post=doomed.posts.get(number=1))
    listing = alice_client.get("/notifications/").content.decode()
    assert "A topic that stays" in listing and "A topic soon deleted" not in listing
    assert _bell(alice_client) == 1
    assert kept.posts.exists()


def test_notifications_of_a_category_closed_to_the_member_leave_the_count(
    alice_client, alice, bob, lounge, django_capture_on_commit_callbacks
):
    from agora.forum.models import Access

    with django_capture_on_commit_callbacks(execute=True):
        forum.create_topic(author=bob, category=lounge, title="Soon private", raw="Hey @alice.")
    assert _bell(alice_client) == 1
    lounge.everyone_access = Access.NONE
    lounge.save()
    assert "Soon private" not in alice_client.get("/notifications/").content.decode()
    assert _bell(alice_client) == 0
