from celery import shared_task

from agora.notifications import services


@shared_task
def notify_post_created(post_id: int) -> int:
    return len(services.notify_post_created(post_id=post_id))


@shared_task
def notify_post_liked(like_id: int) -> bool:
    return services.notify_post_liked(like_id=like_id) is not None


@shared_task
def notify_followers(kind: str, object_id: int) -> int:
    return len(services.notify_followers(kind=kind, object_id=object_id))
