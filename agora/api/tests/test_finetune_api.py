"""POST /runs with a learning rate and frozen blocks: stored, shown, refused with the form's
messages (nothing queued), and a base the caller may not see is named nowhere."""

from __future__ import annotations

import pytest

from agora.api.tests.test_text_api import auth
from agora.lab.models import TrainingRun
from agora.lab.tests.test_lab_lineage import published


def post_run(client, user, **body):
    data = {"family": "diffusion", "dataset": "digits", "steps": 20, **body}
    return client.post("/api/v1/runs", data, content_type="application/json", **auth(user))


@pytest.mark.django_db
def test_a_fine_tune_takes_its_learning_rate_and_frozen_blocks(alice, bob, client, settings):
    settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER = 3
    base = published(bob, name="Digits DDPM")
    response = post_run(client, alice, base_model=base.id, freeze_blocks=3, lr=1e-4)
    assert response.status_code == 201, response.content
    run = response.json()
    assert (run["freeze_blocks"], run["blocks"], run["lr"], run["lr_chosen"]) == (3, 3, 1e-4, True)
    assert not run["freeze_early"]
    stored = TrainingRun.objects.get(pk=run["id"])
    assert stored.settings["freeze_blocks"] == 3 and stored.settings["lr"] == 1e-4
    # a run from scratch with the preset's rate; an old client's freeze_early still works
    scratch = post_run(client, alice).json()
    assert scratch["lr"] == 1e-3 and not scratch["lr_chosen"] and scratch["freeze_blocks"] == 0
    old = post_run(client, alice, base_model=base.id, freeze_early=True).json()
    assert old["freeze_early"] and old["freeze_blocks"] == 0
    assert "freeze_blocks" not in TrainingRun.objects.get(pk=old["id"]).settings


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"freeze_blocks": 4}, "freeze_blocks", "Digits DDPM has 3 blocks to freeze"),
        ({"freeze_blocks": 1, "freeze_early": True}, "freeze_blocks", "not both"),
        ({"base_model": None, "freeze_blocks": 1}, "freeze_blocks", "Only a fine-tune has blocks"),
        ({"lr": 0.2}, "lr", "The learning rate must be between 0.000001 and 0.1"),
        ({"lr": 1e-9}, "lr", "The learning rate must be between 0.000001 and 0.1"),
    ],
)
def test_bad_learning_rates_and_block_counts_are_refused_and_nothing_is_queued(
    alice, bob, client, body, field, message
):
    base = published(bob, name="Digits DDPM")
    response = post_run(client, alice, **{"base_model": base.id, **body})
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["message"] and field in error["details"]
    assert not TrainingRun.objects.filter(owner=alice).exists()
    negative = post_run(client, alice, base_model=base.id, freeze_blocks=-1)
    assert negative.status_code == 422 and not TrainingRun.objects.filter(owner=alice).exists()


@pytest.mark.django_db
def test_a_private_base_is_named_nowhere_whatever_is_asked_of_it(alice, bob, charlie, client):
    secret = published(alice, name="CANARY-7f3 private base", private=True)
    public = published(alice, name="Public base")
    for body in ({"freeze_blocks": 99}, {"freeze_blocks": 1, "lr": 0.5}, {"lr": 1e-4}):
        response = post_run(client, bob, base_model=secret.id, **body)
        assert response.status_code == 404 and "CANARY" not in response.content.decode()
    assert not TrainingRun.objects.filter(owner=bob).exists()
    # a public fine-tune of a base that later turns private: its blocks and rate, not its name
    run = post_run(client, bob, base_model=public.id, freeze_blocks=1, lr=3e-4).json()
    TrainingRun.objects.filter(pk=run["id"]).update(private=False)
    public.private = True
    public.name = "CANARY-7f3 renamed"
    public.save()
    for who in (auth(charlie), {}):
        body = client.get(f"/api/v1/runs/{run['id']}", **who)
        assert body.status_code == 200 and "CANARY" not in body.content.decode()
        assert body.json()["base"] is None and body.json()["freeze_blocks"] == 1
    page = client.get(f"/lab/runs/{run['id']}/").content.decode()
    assert "first 1 of 3 blocks frozen" in page and "CANARY" not in page
