"""Notifications for the demo community. The forum's demo posts send post_created and post_liked
on commit like any post, but their tasks only run when a worker does (or tasks are eager); so
when no notification exists yet, create them here directly. The services are idempotent, so a
worker that later runs the queued tasks creates nothing twice."""

from agora.forum.models import Like, Post
from agora.notifications import services
from agora.notifications.models import Notification


def seed(*, out) -> None:
    if Notification.objects.exists():
        return
    for post_id in Post.objects.order_by("id").values_list("id", flat=True):
        services.notify_post_created(post_id=post_id)
    for like_id in Like.objects.order_by("id").values_list("id", flat=True):
        services.notify_post_liked(like_id=like_id)
    out.write(f"Created {Notification.objects.count()} demo notifications.")
