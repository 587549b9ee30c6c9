"""The index follows the forum and the members: each change owes a job, run after commit."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from agora.accounts.models import User
from agora.core import jobs
from agora.forum import signals
from agora.forum.models import Post, Tag, Topic
from agora.search.kinds import MEMBER, POST, TAG
from agora.search.selectors import forget_related


def _schedule_objects(kind: str, object_id: int) -> None:
    from agora.search.tasks import index_objects

    jobs.enqueue(index_objects, kind, [object_id])


def _schedule_topic(topic_id: int) -> None:
    from agora.search.tasks import index_topic

    jobs.enqueue(index_topic, topic_id)


@receiver(signals.post_created)
@receiver(signals.post_edited)
@receiver(signals.post_hidden_or_deleted)
def post_changed(sender, *, post_id, **kwargs) -> None:
    row = Post.objects.filter(pk=post_id).values_list("topic_id", "number").first()
    if row is None:
        return
    topic_id, number = row
    # The first post carries the topic: its title, and whether the topic still exists.
    if number == 1:
        _schedule_topic(topic_id)
    else:
        _schedule_objects(POST, post_id)


@receiver(signals.staff_action)
def topic_changed(sender, *, topic_id=None, action="", **kwargs) -> None:
    if topic_id and action in {"move", "delete_post", "restore_post", "state"}:
        _schedule_topic(topic_id)


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def member_changed(sender, instance: User, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # a login changes nothing searchable
    _schedule_objects(MEMBER, instance.pk)


@receiver(post_save, sender=Tag)
@receiver(post_delete, sender=Tag)
def tag_changed(sender, instance: Tag, **kwargs) -> None:
    _schedule_objects(TAG, instance.pk)


def follow(model, kind: str) -> None:
    """Keep ``kind`` current with ``model``: every save or delete of one of its rows reindexes
    that row on commit (a deleted or no longer searchable row loses its document). For the apps'
    ``search.py``; writes that bypass signals (``update()``) still cannot leak anything, since
    visibility is read from the live rows at query time."""

    def changed(sender, instance, **kwargs) -> None:
        _schedule_objects(kind, instance.pk)

    uid = f"search:{kind}:{model._meta.label}"
    post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
    post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")


# A topic's title, category or state shows in other topics' related lists: this process forgets
# them at once (see agora.search.selectors.RELATED_TTL for the others).
post_save.connect(forget_related, sender=Topic, dispatch_uid="search-forget-related-save")
post_delete.connect(forget_related, sender=Topic, dispatch_uid="search-forget-related-delete")
