"""Forum events become tasks: the signals are sent on commit, so the ids point at saved rows."""

from __future__ import annotations

from django.dispatch import receiver

from agora.core import jobs
from agora.following.signals import member_shared
from agora.forum import signals


@receiver(signals.post_created, dispatch_uid="notifications.post_created")
def post_created(sender, *, post_id: int, **kwargs) -> None:
    from agora.notifications.tasks import notify_post_created

    jobs.enqueue(notify_post_created, post_id)


@receiver(signals.post_liked, dispatch_uid="notifications.post_liked")
def post_liked(sender, *, like_id: int, **kwargs) -> None:
    from agora.notifications.tasks import notify_post_liked

    jobs.enqueue(notify_post_liked, like_id)


@receiver(member_shared, dispatch_uid="notifications.member_shared")
def member_shared_something(sender, *, kind: str, object_id: int, **kwargs) -> None:
    from agora.notifications.tasks import notify_followers

    jobs.enqueue(notify_followers, kind, object_id)
