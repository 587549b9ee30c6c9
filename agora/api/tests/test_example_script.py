"""docs/examples/agora_api.py, run as a separate process against a live server with a real
token: it lists topics, uploads a work whose recipe is read from the PNG, and generates."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agora.api import tokens
from agora.forum import services as forum_services
from agora.forum.models import Category
from agora.gallery.models import Work
from agora.lab.models import Generation
from agora.lab.services import publishing
from agora.lab.services import runs as run_services

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "examples" / "agora_api.py"


@pytest.mark.django_db(transaction=True)
def test_the_documented_example_script_runs_end_to_end(live_server, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    forum_services.create_topic(
        author=alice, category=lounge, title="Which sampler for moons?", raw="Curious."
    )
    run = run_services.create_run(  # tasks are eager: this trains here and now
        owner=alice, title="t", family="diffusion", dataset="moons", preset="quick", steps=10
    )
    run.refresh_from_db()
    model = publishing.publish_model(
        user=alice, run=run, name="Moons", card="", licence="mit", private=False
    )
    _token, raw = tokens.create_token(user=alice, name="example", scopes=["read", "write"])

    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            live_server.url,
            "--token",
            raw,
            "--model",
            str(model.id),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Which sampler for moons?" in result.stdout
    work = Work.objects.get(title="Lighthouse at dusk")
    assert (work.seed, work.steps, work.model_name) == (1234, 28, "dreamy-v2")
    assert work.prompt == "a lighthouse at dusk, oil painting"
    generation = Generation.objects.get(model=model)
    assert generation.status == "done" and generation.owner == alice
    assert generation.images[0]["url"] in result.stdout
