"""Reads of the notifications app; each page costs a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from agora.accounts.models import User
from agora.forum.models import Topic
from agora.forum.permissions import category_access_for
from agora.forum.selectors import decode_cursor, encode_cursor
from agora.notifications.models import Notification

PER_PAGE = 30


@dataclass
class NotificationPage:
    notifications: list[Notification]
    next_cursor: str | None


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).count()


def notifications_for(*, user: User, cursor: str | None = None) -> NotificationPage:
    """The member's notifications, newest first, leaving out what they can no longer see."""
    access = category_access_for(user)
    participant = Topic.participants.through.objects.filter(
        topic_id=OuterRef("topic_id"), user_id=user.pk
    )
    queryset = (
        Notification.objects.filter(user=user, topic__deleted_at=None)
        .filter(
            Q(topic__category_id__in=access.visible_ids(), topic__is_private=False)
            | Q(Exists(participant), topic__is_private=True)
        )
        .exclude(Q(post__deleted_at__isnull=False) | Q(post__hidden=True))
        .select_related("actor", "topic", "post", "post__topic")
        .order_by("-created_at", "-id")
    )
    position = decode_cursor(cursor)
    if position is not None:
        moment, pk = position
        queryset = queryset.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk))
    rows = list(queryset[: PER_PAGE + 1])
    next_cursor = None
    if len(rows) > PER_PAGE:
        last = rows[PER_PAGE - 1]
        next_cursor = encode_cursor(last.created_at, last.id)
    return NotificationPage(rows[:PER_PAGE], next_cursor)
