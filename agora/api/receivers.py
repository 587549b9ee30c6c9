"""Domain events → webhook deliveries. Only what anyone may see leaves the site: posts in
categories open to anonymous visitors, public works, runs and events."""

from __future__ import annotations

from celery.signals import task_postrun
from django.contrib.auth.models import AnonymousUser
from django.db.models.signals import post_save
from django.dispatch import receiver

from agora.forum.signals import post_created


def _absolute(path: str) -> str:
    from django.conf import settings

    return settings.AGORA_SITE_URL + path


@receiver(post_created, dispatch_uid="api_webhooks_post_created")
def _post_created(sender, post_id: int, **kwargs) -> None:
    from agora.api.webhooks import dispatch
    from agora.forum.models import Access, Post
    from agora.forum.permissions import category_access_for

    post = (
        Post.objects.select_related("topic", "topic__category", "author").filter(pk=post_id).first()
    )
    if post is None or post.topic.is_private or post.deleted_at or post.hidden:
        return
    if category_access_for(AnonymousUser()).level(post.topic.category_id) < Access.SEE:
        return
    topic = post.topic
    author = {"username": post.author.username, "display_name": post.author.display_name}
    if post.number == 1:
        dispatch(
            "topic.created",
            {
                "topic": {
                    "id": topic.id,
                    "title": topic.title,
                    "category": topic.category.slug,
                    "url": _absolute(topic.get_absolute_url()),
                },
                "author": author,
                "raw": post.raw,
            },
        )
    else:
        dispatch(
            "post.created",
            {
                "post": {
                    "id": post.id,
                    "number": post.number,
                    "raw": post.raw,
                    "url": _absolute(post.get_absolute_url()),
                },
                "topic": {"id": topic.id, "title": topic.title},
                "author": author,
            },
        )


@receiver(post_save, sender="gallery.Work", dispatch_uid="api_webhooks_work")
def _work_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created or instance.private:
        return
    from agora.api.webhooks import dispatch

    dispatch(
        "work.published",
        {
            "work": {
                "id": instance.id,
                "title": instance.title,
                "author": instance.author.username,
                "model_name": "" if instance.recipe_hidden else instance.model_name,
                "url": _absolute(instance.get_absolute_url()),
            }
        },
    )


@receiver(post_save, sender="events.Event", dispatch_uid="api_webhooks_event")
def _event_saved(sender, instance, created: bool, **kwargs) -> None:
    if not created:
        return
    from agora.api.webhooks import dispatch

    dispatch(
        "event.created",
        {
            "event": {
                "id": instance.id,
                "title": instance.title,
                "kind": instance.kind,
                "starts_at": instance.starts_at,
                "ends_at": instance.ends_at,
                "url": _absolute(instance.get_absolute_url()),
            }
        },
    )


@task_postrun.connect(dispatch_uid="api_webhooks_run_completed")
def _task_finished(sender=None, args=None, retval=None, **kwargs) -> None:
    """The lab finishes runs with a conditional update (no post_save): listen to its task."""
    if getattr(sender, "name", "") != "agora.lab.tasks.train_run" or retval != "completed":
        return
    from django.db import transaction

    from agora.api.webhooks import dispatch
    from agora.lab.models import TrainingRun

    run = TrainingRun.objects.select_related("owner").filter(pk=(args or [0])[0]).first()
    if run is None or run.private:
        return
    with transaction.atomic():
        dispatch(
            "run.completed",
            {
                "run": {
                    "id": run.id,
                    "title": run.title,
                    "family": run.family,
                    "dataset": run.dataset,
                    "owner": run.owner.username,
                    "metrics": run.metrics,
                    "url": _absolute(run.get_absolute_url()),
                }
            },
        )
