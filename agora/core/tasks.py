from __future__ import annotations

from celery import shared_task

from agora.core import services


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def send_outbound_email(self, email_id: int) -> bool:
    sent = services.deliver_email(email_id=email_id)
    if not sent:
        # Another worker holds the claim. If it is alive it finishes the send; if it died
        # mid-send (this job re-sent by the task journal or the broker) its claim goes stale:
        # look again then, instead of leaving the email in "sending" for good.
        left = services.email_claim_seconds_left(email_id=email_id)
        if left is not None and not self.request.is_eager:
            raise self.retry(countdown=left + 0.5)
    return sent


@shared_task
def optimize_database() -> str:
    """SQLite keeps planner statistics only when asked: without them list queries scan."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return "skipped"
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return "optimized"


@shared_task
def send_spooled_jobs() -> int:
    """Jobs spooled while the broker was down (see agora/core/taskspool.py)."""
    from agora.core.taskspool import drain

    return drain()


@shared_task
def recover_orphaned_jobs() -> int:
    """Filesystem broker: re-send jobs whose worker died mid-task (agora/core/taskjournal.py)."""
    from agora.core.taskjournal import recover

    return recover()
