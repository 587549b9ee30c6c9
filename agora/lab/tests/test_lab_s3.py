"""Two machines, simulated: two workers with their own AGORA_VAR_DIR (database file, runs folder,
media folder, secret key) that share only PostgreSQL, Redis and S3 (SeaweedFS, started by
`make test-postgres` through agora/core/seaweedfs.py). A run whose worker is killed resumes on the
other from the checkpoint in S3; a generation made on one is verified on the other."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.conf import settings as django_settings

from agora.celery import app as celery_app
from agora.conftest import make_member, start_worker, stop_worker, wait_for
from agora.lab.models import Generation, TrainingRun
from agora.lab.services import generations, publishing, runs

pytestmark = [pytest.mark.s3, pytest.mark.worker]


@pytest.fixture
def machines(transactional_db, tmp_path, settings):
    """Start a worker on "machine" a or b; each has its own var folder; all are stopped after."""
    if not settings.S3_BUCKET or not settings.REDIS_URL:
        if os.environ.get("AGORA_S3_REQUIRED"):
            pytest.fail("the two-machine test needs S3 and Redis (make test-postgres)")
        pytest.skip("runs in `make test-postgres`, against SeaweedFS and Redis")
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    # This process reads runs too (publishing pulls a run's files from S3 unless they are here):
    # a folder of its own, so a run id of an earlier test session never finds stale files.
    settings.LAB_RUNS_DIR = tmp_path / "here" / "runs"
    started = []

    def start(name: str, *, beat: bool = False):
        var = tmp_path / name
        var.mkdir(exist_ok=True)
        env = {
            "AGORA_VAR_DIR": str(var),
            "AGORA_LAB_RUNS_DIR": str(var / "runs"),
            "AGORA_MEDIA_ROOT": str(var / "media"),
            "AGORA_LAB_RUN_STALE_SECONDS": "3",
        }
        process, _log = start_worker(var, env=env, beat=beat)
        started.append(process)
        return process, var

    yield start
    for process in started:
        stop_worker(process)
    celery_app.conf.task_always_eager = True


def test_a_run_killed_on_one_machine_resumes_on_the_other_from_s3(machines):
    owner = make_member("trainer")
    first, _var_a = machines("a")
    run = runs.create_run(
        owner=owner,
        title="two machines",
        family="diffusion",
        dataset="moons",
        preset="quick",
        steps=1500,
    )

    def checkpointed_in_s3() -> bool:
        current = TrainingRun.objects.get(pk=run.pk)
        return current.status == "running" and "stored in S3" in current.log and current.step < 1200

    wait_for(checkpointed_in_s3, timeout=120, what="a checkpoint of the run in S3")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    killed = time.monotonic()
    killed_at = TrainingRun.objects.get(pk=run.pk).step

    second, var_b = machines("b", beat=True)  # its lab sweep requeues the run, heartbeat stale

    wait_for(
        lambda: "resuming on" in TrainingRun.objects.get(pk=run.pk).log,
        timeout=120,
        what="the run to resume on machine b",
    )
    resumed_after = time.monotonic() - killed
    wait_for(
        lambda: TrainingRun.objects.get(pk=run.pk).status == "completed",
        timeout=240,
        what="the resumed run to complete on machine b",
    )
    done = TrainingRun.objects.get(pk=run.pk)
    assert done.attempts == 2 and done.step == 1500 and killed_at < 1500
    assert done.log.count("completed") == 1
    assert (var_b / "runs" / str(run.id) / "state.pt").is_file()  # fetched from S3 by b
    print(f"resumed on the other machine {resumed_after:.1f} s after the kill")

    # Published, then sampled on b; reproduced on a: the same pixels (the recipe verifies).
    model = publishing.publish_model(
        user=owner, run=done, name="Moons", card="", licence="mit", private=False
    )
    params = {"sampler": "ddim", "steps": 5, "guidance": 0.0, "seed": 3, "labels": None}
    original = generations.request_generation(user=owner, model=model, count=4, **params)
    wait_for(
        lambda: Generation.objects.get(pk=original.pk).status == "done",
        timeout=120,
        what="the generation on machine b",
    )
    stop_worker(second)
    machines("a")  # machine a is back; b is gone
    copy = generations.reproduce(user=owner, generation=Generation.objects.get(pk=original.pk))
    wait_for(
        lambda: Generation.objects.get(pk=copy.pk).status in ("done", "failed"),
        timeout=120,
        what="the reproduction",
    )
    original.refresh_from_db()
    copy.refresh_from_db()
    assert copy.status == "done", copy.error
    assert copy.images_sha256 == original.images_sha256
    assert django_settings.S3_BUCKET
