"""Moderation listens to the forum: staff actions are logged, activity refreshes trust levels."""

from __future__ import annotations

from django.dispatch import receiver

from agora.core import jobs
from agora.forum import signals
from agora.forum.models import Like, Post


@receiver(signals.staff_action)
def log_staff_action(
    sender, *, actor_id, topic_id, action, details, post_id=None, **kwargs
) -> None:
    from agora.moderation.services import log_action

    log_action(actor=actor_id, action=action, topic_id=topic_id, post_id=post_id, details=details)


@receiver(signals.post_created)
def refresh_author_stats(sender, *, post_id, **kwargs) -> None:
    from agora.moderation.tasks import refresh_member_stats

    author_id = Post.objects.filter(pk=post_id).values_list("author_id", flat=True).first()
    if author_id:
        jobs.enqueue(refresh_member_stats, author_id)


@receiver(signals.post_liked)
def refresh_like_stats(sender, *, like_id, **kwargs) -> None:
    from agora.moderation.tasks import refresh_member_stats

    row = Like.objects.filter(pk=like_id).values_list("user_id", "post__author_id").first()
    if row:
        for user_id in set(row):
            jobs.enqueue(refresh_member_stats, user_id)
