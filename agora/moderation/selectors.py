"""Reads of moderation: the review queue and the staff log (the HTML pages and the API)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from agora.core.paging import keyset_page
from agora.forum.models import Post
from agora.moderation.models import Flag, StaffAction

REVIEW_PER_PAGE = 50


def review_queue(
    *, cursor: str | None = None, limit: int = REVIEW_PER_PAGE
) -> tuple[list[Post], str | None]:
    """A page of posts with pending flags, most flagged first, each with `pending_flags` and
    `open_flags`, and the cursor of the next page. (The order is by a count of the flags, which
    no index holds: the queue is the flagged posts only, which staff keep short.)"""
    pending = Flag.objects.filter(resolution=Flag.Resolution.PENDING)
    queryset = (
        Post.objects.filter(flags__resolution=Flag.Resolution.PENDING)
        .annotate(pending_flags=Count("flags", filter=Q(flags__resolution=Flag.Resolution.PENDING)))
        .select_related("author", "topic")
        .prefetch_related(
            Prefetch("flags", queryset=pending.select_related("user"), to_attr="open_flags")
        )
        .distinct()
    )
    return keyset_page(queryset, key="pending_flags", cursor=cursor, limit=limit, number=True)


STAFF_LOG_PER_PAGE = 50


def staff_log(
    *, cursor: str | None = None, limit: int = STAFF_LOG_PER_PAGE
) -> tuple[list[StaffAction], str | None]:
    """A page of staff actions, newest first, and the cursor of the next page."""
    return keyset_page(
        StaffAction.objects.select_related("actor", "topic", "post"),
        key="created_at",
        cursor=cursor,
        limit=limit,
    )
