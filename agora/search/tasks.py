from celery import shared_task

from agora.search import services


@shared_task
def index_objects(kind: str, object_ids: list[int]) -> int:
    return services.index_objects(kind=kind, object_ids=object_ids)


@shared_task
def index_topic(topic_id: int) -> int:
    return services.index_topic(topic_id=topic_id)
