"""The Following feed: new works, models and topics of the members a member follows, newest
first, each kind filtered by its own app's visibility rules; one query per kind and page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agora.core.paging import decode_cursor, encode_cursor
from agora.following.models import Follow

PAGE_SIZE = 20


@dataclass
class Item:
    kind: str  # "work", "model" or "topic"
    obj: object
    created_at: datetime


def is_following(*, follower, member) -> bool:
    if not getattr(follower, "is_authenticated", False) or follower.pk == member.pk:
        return False
    return Follow.objects.filter(follower=follower, followed=member).exists()


def follower_count(*, member) -> int:
    return Follow.objects.filter(followed=member).count()


def following_feed(*, viewer, access, cursor: str | None = None, limit: int = PAGE_SIZE):
    """A page of the feed and the cursor of the next (None on the last). The three kinds are
    merged by creation time; the cursor is the time of the last item shown."""
    from agora.forum.selectors import _listable
    from agora.gallery.selectors import visible_works
    from agora.lab.selectors import visible_models

    followed = Follow.objects.filter(follower=viewer).values("followed_id")
    position = decode_cursor(cursor)
    before = {"created_at__lt": position[0]} if position else {}
    works = visible_works(viewer).filter(author__in=followed, **before)
    models = visible_models(viewer).filter(owner__in=followed, **before)
    topics = (
        _listable(viewer, access)
        .filter(author__in=followed, **before)
        .select_related("author", "category")
    )
    items = [
        *(Item("work", w, w.created_at) for w in works.order_by("-created_at")[: limit + 1]),
        *(Item("model", m, m.created_at) for m in models.order_by("-created_at")[: limit + 1]),
        *(Item("topic", t, t.created_at) for t in topics.order_by("-created_at")[: limit + 1]),
    ]
    items.sort(key=lambda item: item.created_at, reverse=True)
    next_cursor = None
    if len(items) > limit:
        # everything older than the last shown comes on the next page (times are to the
        # microsecond: two items of one instant are the rare case this does not separate)
        next_cursor = encode_cursor(items[limit - 1].created_at, 1)
    return items[:limit], next_cursor
