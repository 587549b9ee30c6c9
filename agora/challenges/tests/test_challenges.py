import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agora.challenges import services
from agora.challenges.models import Submission
from agora.challenges.tests.conftest import recorded_run, train
from agora.lab.models import TrainingRun


@pytest.mark.django_db
def test_a_submitted_run_is_scored_on_the_sealed_split_and_verified_by_rebuilding(
    alice, challenge, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run = train(alice, capture)
    assert run.cpu_seconds > 0  # the lab records the CPU time it spent
    with capture(execute=True):
        entry = services.submit(user=alice, challenge=challenge, run=run, sampler="ddim", steps=10)
    entry.refresh_from_db()
    assert entry.status == "scored", entry.refusal
    assert entry.verified and entry.score == entry.metrics["mmd2"]
    assert entry.recipe["count"] == 200 and entry.recipe["steps"] == 10
    assert entry.cpu_seconds == run.cpu_seconds
    from agora.notifications.models import Notification

    assert Notification.objects.filter(user=alice, kind="entry_scored").count() == 1


@pytest.mark.django_db
def test_a_run_whose_recipe_does_not_rebuild_is_refused_with_the_reason(
    alice, challenge, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run = train(alice, capture)
    # The stored recipe no longer says how the weights were made (a tampered or lost config).
    TrainingRun.objects.filter(pk=run.pk).update(settings={**run.settings, "seed": 99})
    run.refresh_from_db()
    with capture(execute=True):
        entry = services.submit(user=alice, challenge=challenge, run=run)
    entry.refresh_from_db()
    assert entry.status == "refused" and not entry.verified and entry.score is None
    assert "did not reproduce" in entry.refusal


@pytest.mark.django_db
def test_bad_entries_are_refused_with_a_message_and_store_nothing(
    alice, bob, challenge, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run = train(alice, capture)
    digits = TrainingRun.objects.create(
        owner=alice,
        title="d",
        family="vae",
        dataset="8gaussians",
        steps=10,
        status="completed",
        checkpoint_sha256="a" * 64,
        cpu_seconds=3,
    )
    with pytest.raises(PermissionDenied):
        services.submit(user=bob, challenge=challenge, run=run)  # another member's run
    with pytest.raises(ValidationError, match="trained on 8gaussians"):
        services.submit(user=alice, challenge=challenge, run=digits)
    TrainingRun.objects.filter(pk=run.pk).update(cpu_seconds=6 * 60)
    run.refresh_from_db()
    with pytest.raises(ValidationError, match="budget is 5"):
        services.submit(user=alice, challenge=challenge, run=run)
    TrainingRun.objects.filter(pk=run.pk).update(cpu_seconds=2)
    run.refresh_from_db()
    with pytest.raises(ValidationError, match="samplers"):
        services.submit(user=alice, challenge=challenge, run=run, sampler="euler")
    assert not Submission.objects.exists()
    with capture(execute=False):
        services.submit(user=alice, challenge=challenge, run=run)
    with pytest.raises(ValidationError, match="already entered"):
        services.submit(user=alice, challenge=challenge, run=run)
    from django.utils import timezone

    challenge.closes_at = timezone.now()
    challenge.save()
    with pytest.raises(ValidationError, match="closed"):
        services.submit(user=alice, challenge=challenge, run=digits)
    assert Submission.objects.count() == 1


@pytest.mark.django_db
def test_a_run_over_its_cpu_budget_stops_and_fails_saying_so(
    alice, django_capture_on_commit_callbacks
):
    from agora.lab import execution

    run = TrainingRun.objects.create(
        owner=alice,
        title="t",
        family="diffusion",
        dataset="moons",
        steps=2000,
        settings={},
        cpu_budget_s=60,
    )
    from agora.lab.services.runs import validate_run

    run.settings = validate_run(
        user=alice, family="diffusion", dataset="moons", preset="quick", steps=2000, seed=0
    )
    run.cpu_seconds = 59.99  # an earlier attempt spent nearly all of it
    run.save()
    assert execution.execute_run(run_id=run.id, worker="test") == "failed"
    run.refresh_from_db()
    assert "CPU budget" in run.error and run.cpu_seconds > 60 and run.step < 2000


@pytest.mark.django_db
def test_evaluations_go_to_the_training_queue_never_the_default_one(
    alice, challenge, monkeypatch, django_capture_on_commit_callbacks
):
    """Queue starvation: an evaluation trains a rebuild, so it must wait behind training runs and
    never take a worker of the default queue (emails, notifications, webhooks). The entry is
    woken as `evaluate_submission` itself, on submitting and by the sweep (never wrapped in a
    default-queue job), and Celery's router sends that task to `training`, the queue only the
    training worker of `manage.py serve` consumes."""
    from celery import current_app

    from agora.challenges import tasks
    from agora.core import jobs
    from agora.core.management.commands.serve import worker_commands

    woken: list[str] = []
    monkeypatch.setattr(jobs, "wake", lambda task, *args: woken.append(task.name) or True)
    run = recorded_run(alice, title="entered", cpu_seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.submit(user=alice, challenge=challenge, run=run)
    Submission.objects.filter(pk=entry.pk).update(created_at=entry.created_at.replace(year=2000))
    assert services._wake_lost_evaluations() == [entry.id]
    assert woken == [tasks.evaluate_submission.name] * 2

    def queue_of(name: str) -> str:
        route = current_app.amqp.router.route({}, name, args=(entry.id,), kwargs={})
        return route["queue"].name

    assert queue_of(tasks.evaluate_submission.name) == "training"
    assert queue_of(tasks.sweep_challenges.name) == "default"  # the light sweep stays there
    default, training = worker_commands(concurrency=2, training_concurrency=1)
    assert default[default.index("--queues") + 1] == "default"
    assert training[training.index("--queues") + 1] == "training"
