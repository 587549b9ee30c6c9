"""The demo challenge: tiny runs by demo members, scored and verified, on an open board."""

import io

import pytest

from agora.challenges import demo
from agora.challenges.models import Challenge, Submission
from agora.conftest import make_member


@pytest.mark.django_db
def test_demo_opens_a_challenge_with_verified_entries(alice, bob, staff, client):
    make_member("chenwei")
    demo.seed(out=io.StringIO())
    challenge = Challenge.objects.get()
    assert challenge.state == "open"
    entries = Submission.objects.filter(challenge=challenge)
    assert entries.count() == 3 and all(e.verified and e.status == "scored" for e in entries)
    page = client.get(challenge.get_absolute_url()).content.decode()
    assert page.count("✓ verified") == 3 and "pareto-points" in page
    demo.seed(out=io.StringIO())  # safe to run again
    assert Challenge.objects.count() == 1


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
    zoo_entry = Submission.objects.get(submitter__username=ZOO_USERNAME)
    assert zoo_entry.status == "scored" and zoo_entry.verified, zoo_entry.refusal
    assert zoo_entry.model_id == model.id
    page = client.get(zoo_entry.challenge.get_absolute_url()).content.decode()
    assert model.get_absolute_url() in page
