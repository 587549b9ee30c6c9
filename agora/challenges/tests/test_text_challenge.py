"""The tang-poems challenge: staff open it in the form, a member enters a tiny gpt run (published
as a model), the worker scores it on the sealed poems and rebuilds it; bad entries are refused;
no page or API shows a sealed poem."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from agora.challenges import services
from agora.challenges.models import Challenge, Submission
from agora.challenges.tests.conftest import recorded_run
from agora.lab.models import TrainingRun


def form(**overrides) -> dict:
    return {
        "title": "Tang poems in five CPU-minutes",
        "description": "Write **Tang poems**; scored by bits per character of sealed poems.",
        "task": "tang-poems",
        "dataset": "tang",
        "metric": "bits_per_char",
        "cpu_budget_minutes": "5",
        "seed": "1",
        "count": "12",
        "daily_limit": "3",
        "opens_at": "2026-01-01T10:00",
        "closes_at": "2099-01-01T10:00",
        **overrides,
    }


def tiny_gpt_run(owner, title="Tiny poet") -> TrainingRun:
    """A tiny gpt on tang, trained as the lab trains (its CPU time recorded)."""
    from agora.lab import execution
    from genlab.config import resolve_config

    config = resolve_config(
        "gpt",
        "tang",
        steps=2,
        batch_size=4,
        n_layer=1,
        n_head=2,
        n_embd=16,
        block_size=32,
        vocab_size=3000,
        warmup=1,
    )
    run = TrainingRun.objects.create(
        owner=owner,
        title=title,
        family="gpt",
        dataset="tang",
        steps=2,
        total_steps=2,
        settings=config.to_dict(),
    )
    assert execution.execute_run(run_id=run.id, worker="test") == "completed"
    run.refresh_from_db()
    return run


def canary() -> str:
    """A distinctive sealed poem: the first the task scores."""
    from genlab.challenge import evaluation_texts

    return evaluation_texts("tang")[0]


@pytest.mark.django_db
def test_a_tang_challenge_scores_a_published_gpt_on_the_sealed_poems_and_verifies_it(
    staff, alice, client, django_capture_on_commit_callbacks
):
    from agora.forum.models import Category
    from agora.lab.services import publishing

    Category.objects.create(name="Image generation", slug="image-generation")
    client.force_login(staff)
    bad = client.post("/challenges/new/", form(count="500"))
    assert bad.status_code == 400 and "between 10 and 256" in bad.content.decode()
    bad = client.post("/challenges/new/", form(dataset="moons"))
    assert bad.status_code == 400 and "This task takes the data sets tang" in bad.content.decode()
    bad = client.post("/challenges/new/", form(metric="mmd2"))
    assert bad.status_code == 400 and "bits_per_char, form_rate" in bad.content.decode()
    assert not Challenge.objects.exists()
    response = client.post("/challenges/new/", form())
    challenge = Challenge.objects.get()
    assert response["Location"] == challenge.get_absolute_url()
    # the sampler settings are fixed by the challenge, the same for every entry
    assert challenge.protocol == {
        "seed": 1,
        "count": 12,
        "samplers": [],
        "temperature": 0.8,
        "top_k": 0,
        "top_p": 1.0,
        "length": 100,
    }

    run = tiny_gpt_run(alice)
    model = publishing.publish_model(
        user=alice, run=run, name="Tiny poet", card="", licence="mit", private=False
    )
    client.force_login(alice)
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "temperature 0.8" in page and 'name="sampler"' not in page
    assert f'<option value="{run.id}"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/challenges/{challenge.id}/submit/", {"run": run.id})
    assert response.status_code == 302
    entry = Submission.objects.get()
    assert entry.model_id == model.id  # the published model's file is what is scored
    assert entry.status == "scored" and entry.verified, entry.refusal
    assert entry.score == entry.metrics["bits_per_char"] > 0
    assert 0 <= entry.metrics["form_rate"] <= 1
    assert entry.recipe["kind"] == "text" and entry.recipe["count"] == 12
    assert entry.recipe["seed"] == 1 and entry.recipe["temperature"] == 0.8
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "✓ verified" in page and model.get_absolute_url() in page
    assert f"{entry.score:.5f}" in page
    with pytest.raises(ValidationError, match="already entered"):
        services.submit(user=alice, challenge=challenge, model=model)
    assert Submission.objects.count() == 1

    # the canary: no page or API response shows a sealed poem
    poem = canary()
    for url in (
        challenge.get_absolute_url(),
        run.get_absolute_url(),
        model.get_absolute_url(),
        "/lab/datasets/",
        f"/api/v1/challenges/{challenge.id}",
        f"/api/v1/challenges/{challenge.id}/leaderboard",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert poem not in body and poem[:12] not in body, url
    assert poem not in str(entry.metrics) + str(entry.recipe)


@pytest.mark.django_db
def test_bad_entries_to_a_tang_challenge_are_refused_and_store_nothing(staff, alice):
    from django.utils import timezone

    challenge = services.create_challenge(
        creator=staff,
        title="Tang poems",
        description="Poems.",
        task="tang-poems",
        dataset="tang",
        metric="form_rate",
        cpu_budget_minutes=5,
        opens_at=timezone.now() - timezone.timedelta(hours=1),
        closes_at=timezone.now() + timezone.timedelta(days=1),
        count=20,
    )
    kjv = recorded_run(alice, dataset="kjv")
    TrainingRun.objects.filter(pk=kjv.pk).update(family="gpt")
    with pytest.raises(ValidationError, match="trained on kjv; this challenge takes tang"):
        services.submit(user=alice, challenge=challenge, run=kjv)
    image = recorded_run(alice, dataset="mnist5k")
    with pytest.raises(ValidationError, match="trained on mnist5k"):
        services.submit(user=alice, challenge=challenge, run=image)
    poet = recorded_run(alice, dataset="tang", cpu_seconds=6 * 60)
    TrainingRun.objects.filter(pk=poet.pk).update(family="gpt")
    with pytest.raises(ValidationError, match="budget is 5"):
        services.submit(user=alice, challenge=challenge, run=poet)
    TrainingRun.objects.filter(pk=poet.pk).update(cpu_seconds=60)
    poet.refresh_from_db()
    for options in ({"sampler": "ddim"}, {"steps": 10}):
        with pytest.raises(ValidationError, match="leave the sampler and the steps empty"):
            services.submit(user=alice, challenge=challenge, run=poet, **options)
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_entries_scored_before_the_document_aligned_reading_are_measured_again(
    staff, alice, client, django_capture_on_commit_callbacks
):
    """The migration that corrected the text measure: an open challenge's entry and the run
    take the number the evaluation gives now, so old and new entries rank on one measure; a
    frozen challenge keeps what it announced."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from agora.forum.models import Category

    Category.objects.create(name="Image generation", slug="image-generation")
    client.force_login(staff)
    client.post("/challenges/new/", form())
    client.post("/challenges/new/", form(title="Closed poems"))
    open_one, closed = Challenge.objects.order_by("id")
    run = tiny_gpt_run(alice)
    client.force_login(alice)
    for challenge in (open_one, closed):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/challenges/{challenge.id}/submit/", {"run": run.id})
    now_bits = Submission.objects.get(challenge=open_one).score
    Submission.objects.update(score=99.0, metrics={"bits_per_char": 99.0, "form_rate": 0.5})
    Challenge.objects.filter(pk=closed.pk).update(frozen_at=timezone.now())
    measured = dict(run.metrics)
    TrainingRun.objects.filter(pk=run.pk).update(
        metrics={**measured, "val_bits_per_char": 99.0, "val_bits_per_token": 99.0}
    )

    importlib.import_module("agora.lab.migrations.0017_text_bits_read_by_document").measure_again(
        apps, None
    )
    module = "agora.challenges.migrations.0004_text_bits_read_by_document"
    importlib.import_module(module).measure_again(apps, None)

    entry = Submission.objects.get(challenge=open_one)
    assert entry.score == pytest.approx(now_bits) and entry.metrics["form_rate"] == 0.5
    assert entry.metrics["bits_per_char"] == entry.score < 20
    assert Submission.objects.get(challenge=closed).score == 99.0
    run.refresh_from_db()
    assert run.metrics["val_bits_per_char"] == pytest.approx(measured["val_bits_per_char"])
