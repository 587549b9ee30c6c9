"""The lab through a real worker: a run is killed mid-training with SIGKILL, and finishes once,
from its last checkpoint, on the next worker."""

import os
import signal

import pytest
from django.utils import timezone

from agora.conftest import start_worker, stop_worker, wait_for
from agora.lab import execution
from agora.lab.models import TrainingRun
from agora.lab.services import runs

pytestmark = pytest.mark.worker


def test_killed_worker_run_resumes_once_from_its_checkpoint(celery_worker_process, settings):
    from agora.conftest import make_member

    owner = make_member("trainer")
    run = runs.create_run(
        owner=owner,
        title="long moons",
        family="diffusion",
        dataset="moons",
        preset="quick",
        steps=1500,
    )
    state = settings.LAB_RUNS_DIR / str(run.id) / "state.pt"

    def mid_run() -> bool:
        current = TrainingRun.objects.get(pk=run.pk)
        return current.status == "running" and state.is_file() and current.step < 1200

    wait_for(mid_run, timeout=120, what="the run to reach its first checkpoint")
    os.kill(celery_worker_process["process"].pid, signal.SIGKILL)
    celery_worker_process["process"].wait(timeout=10)
    killed_at = TrainingRun.objects.get(pk=run.pk).step

    # The heartbeat stops; recovery (Celery beat in production) puts the run back on the queue.
    later = timezone.now() + timezone.timedelta(seconds=settings.LAB_RUN_STALE_SECONDS + 5)
    assert execution.recover_stalled(now=later) == [run.id]
    second, _log = start_worker(celery_worker_process["tmp"], env=celery_worker_process["env"])
    try:
        wait_for(
            lambda: TrainingRun.objects.get(pk=run.pk).status == "completed",
            timeout=240,
            what="the resumed run to complete",
        )
    finally:
        stop_worker(second)
    done = TrainingRun.objects.get(pk=run.pk)
    assert done.attempts == 2 and done.step == 1500
    assert "resuming" in done.log and killed_at < 1500
    assert done.log.count("completed") == 1
