"""Reads of the notifications app; each page costs a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from agora.accounts.models import User
from agora.core.paging import keyset_page
from agora.forum.models import Topic
from agora.forum.permissions import category_access_for
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
    )
    rows, next_cursor = keyset_page(queryset, key="created_at", cursor=cursor, limit=PER_PAGE)
    return NotificationPage(rows, next_cursor)
