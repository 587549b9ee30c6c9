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
        # mid-send (this job woken again by the sweep or the broker) its claim goes stale:
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
def run_job(job_id: int) -> str:
    """One row of the Job table (agora/core/jobs.py)."""
    from agora.core import jobs

    return jobs.run(job_id=job_id)


@shared_task
def sweep_jobs() -> int:
    """Beat: Job rows whose wake was lost or whose worker died."""
    from agora.core import jobs

    return len(jobs.sweep())


@shared_task
def sweep_emails() -> int:
    """Beat: emails whose wake was lost, whose worker died mid-send, or that failed to send."""
    return len(services.sweep_emails())
