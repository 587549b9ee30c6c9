"""Lesson widget tasks: each takes an id and is safe to run twice (the row is claimed with a
conditional update)."""

from __future__ import annotations

from celery import shared_task

from agora.learn import widget_services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_widget(result_id: int) -> str:
    return widget_services.run_live(result_id=result_id)


@shared_task
def sweep_widgets() -> list[int]:
    return widget_services.sweep()
