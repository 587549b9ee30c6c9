"""Reads of the notifications app; each page costs a constant number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from agora.accounts.models import User
from agora.core.paging import keyset_page
from agora.forum import permissions
from agora.forum.models import Topic
from agora.notifications.models import Notification

PER_PAGE = 30


@dataclass
class NotificationPage:
    notifications: list[Notification]
    next_cursor: str | None


def visible_notifications(*, user: User) -> QuerySet[Notification]:
    """The member's notifications they may still read: about a topic they can see and a post
    whose text they may read; the list and the bell's count both start here, so they agree."""
    participant = Topic.participants.through.objects.filter(
        topic_id=OuterRef("topic_id"), user_id=user.pk
    )
    in_category = Q(topic__is_private=False) & permissions.visible_category_q(
        user, prefix="topic__category__"
    )
    from agora.challenges.permissions import notices_listed
    from agora.gallery.selectors import visible_works
    from agora.lab.selectors import visible_models

    # a followed member's work or model: while it is still listed for the member
    work = Exists(visible_works(user).filter(pk=OuterRef("work_id")))
    model = Exists(visible_models(user).filter(pk=OuterRef("lab_model_id")))
    about_topic = Q(topic__isnull=False, topic__deleted_at=None) & (
        in_category | Q(Exists(participant), topic__is_private=True)
    )
    return (
        Notification.objects.filter(user=user)
        .filter(
            about_topic
            | Q(work__isnull=False) & work
            | Q(lab_model__isnull=False) & model
            | notices_listed(user)
        )
        .exclude(Q(post__deleted_at__isnull=False) | Q(post__hidden=True))
    )


def unread_count(*, user: User) -> int:
    return visible_notifications(user=user).filter(read_at=None).count()


def notifications_for(*, user: User, cursor: str | None = None) -> NotificationPage:
    """The member's notifications, newest first, leaving out what they can no longer see."""
    queryset = visible_notifications(user=user).select_related(
        "actor",
        "topic",
        "post",
        "post__topic",
        "work",
        "lab_model",
        "challenge",
        "submission",
        "contest",
    )
    rows, next_cursor = keyset_page(queryset, key="created_at", cursor=cursor, limit=PER_PAGE)
    return NotificationPage(rows, next_cursor)
