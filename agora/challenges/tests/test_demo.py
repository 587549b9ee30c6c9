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
