"""Lab tasks: each takes an id and is safe to run twice (work is claimed with a conditional
update; a second copy finds nothing to claim). The work itself is in execution.py."""

from __future__ import annotations

import socket

from celery import shared_task
from celery.signals import worker_init

from agora.core import jobs
from agora.lab import execution


@worker_init.connect
def preload_genlab(**_kwargs) -> None:
    """Import torch and genlab when the worker starts, not inside a member's first job."""
    import genlab.checkpoint
    import genlab.sample
    import genlab.train  # noqa: F401


def enqueue(task_name: str, object_id: int) -> None:
    """Wake a worker for a row that is already the job (call it on commit); a broker that is
    down leaves the row to the sweep (agora/core/jobs.py)."""
    jobs.wake(globals()[task_name], object_id)


def _worker_name(task) -> str:
    hostname = getattr(task.request, "hostname", None) or socket.gethostname()
    return f"{hostname}:{task.request.id or 'eager'}"


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True)
def train_run(self, run_id: int) -> str:
    return execution.execute_run(run_id=run_id, worker=_worker_name(self))


@shared_task(bind=True)
def generate(self, generation_id: int) -> str:
    return execution.execute_generation(generation_id=generation_id)


@shared_task
def check_dataset(dataset_id: int) -> str:
    return execution.check_dataset(dataset_id=dataset_id).status


@shared_task
def recover_stalled_runs() -> list[int]:
    """Beat: the lab's sweep (runs, generations, data set checks)."""
    return execution.recover_stalled()
