from __future__ import annotations

from celery import shared_task

from agora.api import webhooks


@shared_task(bind=True, max_retries=webhooks.MAX_ATTEMPTS - 1)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt; a failure is retried with exponential backoff until MAX_ATTEMPTS."""
    result = webhooks.attempt(delivery_id=delivery_id)
    while result is False and self.request.is_eager:  # no broker to wait on: retry at once
        result = webhooks.attempt(delivery_id=delivery_id, ignore_backoff=True)
    if result is False:
        raise self.retry(countdown=webhooks.retry_in_s(delivery_id=delivery_id))
    return "delivered" if result else "done"


@shared_task
def sweep_deliveries() -> int:
    """Beat: deliveries whose wake was lost or whose worker died mid-attempt."""
    return len(webhooks.sweep())
