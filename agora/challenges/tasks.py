"""Challenge tasks: ids in, evaluation.py and services.py out; each safe to run twice."""

from __future__ import annotations

from celery import shared_task

from agora.challenges import evaluation, services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def evaluate_submission(submission_id: int) -> str:
    """Routed to the training queue (settings.CELERY_TASK_ROUTES): it trains a rebuild."""
    return evaluation.evaluate(submission_id=submission_id)


@shared_task
def sweep_challenges() -> dict:
    """Beat: freeze closed challenges, remind followers, count contests, wake lost evaluations."""
    return services.close_all_due()
