"""The demo challenge: tiny runs by demo members, scored and verified, on an open board."""

import io

import pytest

from agora.challenges import demo
from agora.challenges.models import Challenge, Submission
from agora.conftest import make_member
from agora.lab.models import JobPriority


@pytest.mark.django_db
def test_demo_opens_a_challenge_with_verified_entries(alice, bob, staff, client):
    make_member("chenwei")
    demo.seed(out=io.StringIO())
    challenge = Challenge.objects.get(task="density-2d")
    assert challenge.state == "open"
    entries = Submission.objects.filter(challenge=challenge)
    assert entries.count() == 3 and all(e.verified and e.status == "scored" for e in entries)
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert page.count("✓ verified") == 3 and "pareto-points" in page
    demo.seed(out=io.StringIO())  # safe to run again
    assert Challenge.objects.count() == 2


@pytest.mark.django_db
def test_the_demo_challenge_has_the_zoo_moons_model_as_a_verified_entry(alice, bob, staff, client):
    from agora.lab.services.zoo import ZOO_USERNAME, publish_zoo_model
    from genlab.zoo import cpu_kind, list_models

    (moons,) = [e for e in list_models() if e.name == "moons-diffusion"]
    if moons.card["train"].get("cpu") != cpu_kind():  # retraining is bit for bit on one CPU kind
        pytest.skip(f"moons-diffusion was built on {moons.card['train'].get('cpu')}")
    model = publish_zoo_model(entry=moons)
    assert 0 < model.run.cpu_seconds <= 60  # the zoo card's measured CPU time is recorded
    demo.seed(out=io.StringIO())
    zoo_entry = Submission.objects.get(
        submitter__username=ZOO_USERNAME, challenge__task="density-2d"
    )
    assert zoo_entry.status == "scored" and zoo_entry.verified, zoo_entry.refusal
    assert zoo_entry.model_id == model.id
    page = client.get(zoo_entry.challenge.get_absolute_url()).content.decode()
    assert model.get_absolute_url() in page


@pytest.mark.django_db
def test_the_demo_tang_challenge_has_the_zoo_tang_gpt_waiting_for_the_worker(staff, client):
    """Entered by the zoo account with the protocol's text settings; its evaluation (a rebuild,
    minutes of training) waits for the worker, so seeding stays fast."""
    from agora.lab.services.zoo import ZOO_USERNAME, publish_zoo_model
    from genlab.zoo import list_models

    (tang,) = [e for e in list_models() if e.name == "tang-gpt"]
    model = publish_zoo_model(entry=tang)
    assert 0 < model.run.cpu_seconds <= 10 * 60
    demo.seed(out=io.StringIO())
    challenge = Challenge.objects.get(task="tang-poems")
    assert challenge.state == "open" and challenge.metric == "bits_per_char"
    entry = Submission.objects.get(challenge=challenge)
    assert entry.submitter.username == ZOO_USERNAME and entry.model_id == model.id
    assert entry.status == "queued" and entry.sampler == ""
    # nobody asked for it: it waits behind every member's job (agora/lab/lane.py)
    assert entry.priority == JobPriority.BACKGROUND
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert "Tang poems in ten CPU-minutes" in page and "temperature 0.8" in page
