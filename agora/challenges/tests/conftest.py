from datetime import timedelta

import pytest
from django.utils import timezone

from agora.challenges import services
from agora.lab.models import TrainingRun
from agora.lab.services import runs


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.fixture
def challenge(staff):
    now = timezone.now()
    return services.create_challenge(
        creator=staff,
        title="Moons under a minute",
        description="Fit the **moons**.",
        task="density-2d",
        dataset="moons",
        metric="mmd2",
        cpu_budget_minutes=5,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3),
        count=200,
        max_steps=10,
    )


def train(owner, capture, *, dataset="moons", steps=30, seed=3, **extra) -> TrainingRun:
    """A tiny run, trained eagerly (2-D toys train in a second or two)."""
    with capture(execute=True):
        run = runs.create_run(
            owner=owner,
            title=f"{dataset} {seed}",
            family="diffusion",
            dataset=dataset,
            preset="quick",
            steps=steps,
            seed=seed,
            **extra,
        )
    run.refresh_from_db()
    assert run.status == "completed", run.error
    return run


def recorded_run(owner, *, dataset="moons", title="a run", cpu_seconds=5.0) -> TrainingRun:
    """A completed run as the lab records it (CPU time, a checkpoint hash), not trained: for
    tests of entering, ranking and telling, not of scoring."""
    return TrainingRun.objects.create(
        owner=owner,
        title=title,
        family="diffusion",
        dataset=dataset,
        steps=10,
        status="completed",
        checkpoint_sha256="0" * 64,
        cpu_seconds=cpu_seconds,
    )
