"""Reads of moderation: the review queue and the staff log (the HTML pages and the API)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from agora.forum.models import Post
from agora.moderation.models import Flag, StaffAction


def review_queue(*, limit: int = 100) -> list[Post]:
    """Posts with pending flags, most flagged first; each with `pending_flags` and `open_flags`."""
    pending = Flag.objects.filter(resolution=Flag.Resolution.PENDING)
    return list(
        Post.objects.filter(flags__resolution=Flag.Resolution.PENDING)
        .annotate(pending_flags=Count("flags", filter=Q(flags__resolution=Flag.Resolution.PENDING)))
        .select_related("author", "topic")
        .prefetch_related(
            Prefetch("flags", queryset=pending.select_related("user"), to_attr="open_flags")
        )
        .order_by("-pending_flags", "-id")
        .distinct()[:limit]
    )


def staff_log(*, limit: int = 200) -> list[StaffAction]:
    return list(StaffAction.objects.select_related("actor", "topic", "post")[:limit])
