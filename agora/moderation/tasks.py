from celery import shared_task

from agora.moderation import services


@shared_task
def refresh_member_stats(user_id: int) -> int:
    return services.refresh_stats(user_id=user_id).trust_level
