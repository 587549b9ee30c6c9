"""The families added for issue #18 (latent-unet, vqvae, stylegan) in the lab: offered by the run
form, a tiny run trains and generates through the site's services, the generate form asks only
what the family uses, and the autoencoding families show their reconstructions."""

from __future__ import annotations

import pytest

from agora.lab.forms import RunForm
from agora.lab.models import Generation, TrainingRun
from agora.lab.services import generations, publishing, runs
from genlab.config import SAMPLER_DEFAULTS

NEW = ("latent-unet", "vqvae", "stylegan")
TINY = {  # on 8x8 digits, so the run takes seconds
    "latent-unet": {"vae_steps": 4, "base": 8, "width": 4, "T": 50},
    "vqvae": {"vae_steps": 4, "codebook_size": 8, "z_channels": 4, "hidden": 8, "prior_layers": 1},
    "stylegan": {"width": 4, "w_dim": 8, "z_dim": 8},
}


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.fixture
def tiny_presets(monkeypatch):
    import genlab.config

    real = genlab.config.preset_options

    def tiny(family, kind, size, preset):
        return {**real(family, kind, size, preset), **TINY.get(family, {})}

    monkeypatch.setattr(genlab.config, "preset_options", tiny)


def test_the_run_form_offers_the_new_families():
    offered = dict(RunForm(datasets=[("digits", "digits")], bases=[]).fields["family"].choices)
    assert set(NEW) <= set(offered)


@pytest.mark.django_db
@pytest.mark.parametrize("family", NEW)
def test_a_tiny_run_trains_and_generates_through_the_site(
    family, alice, alice_client, django_capture_on_commit_callbacks, tiny_presets
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.create_run(
            owner=alice, title="t", family=family, dataset="digits", preset="quick", steps=10
        )
    run.refresh_from_db()
    assert run.status == "completed", run.error
    two_stage = family != "stylegan"
    assert run.step == 10 + (4 if two_stage else 0)
    if two_stage:  # held-out images over their reconstructions, shown on the run page
        assert run.reconstructions_url.endswith("reconstructions.png")
        assert "reconstructions" in alice_client.get(run.get_absolute_url()).content.decode()
        assert all("reconstructions" not in s["url"] for s in run.samples)
    if family == "vqvae":
        assert {"heldout_perplexity", "heldout_used_codes"} <= set(run.metrics)
    model = publishing.publish_model(
        user=alice, run=run, name=family, card="", licence="mit", private=False
    )
    page = alice_client.get(model.get_absolute_url()).content.decode()
    diffusion = family == "latent-unet"
    # the generate form asks only what the family uses
    assert ('name="eta"' in page) is diffusion and ('name="guidance"' in page) is diffusion
    assert ('value="direct"' in page) is not diffusion
    with django_capture_on_commit_callbacks(execute=True):
        made = generations.request_generation(user=alice, model=model, seed=1, count=2)
    made = Generation.objects.get(pk=made.pk)
    assert made.status == "done" and len(made.images) == 2, made.error
    best = SAMPLER_DEFAULTS[family]
    assert made.recipe["sampler"] == best["sampler"] and made.recipe["eta"] == best["eta"]
    if diffusion:  # class-conditional on digits by default
        assert made.recipe["guidance"] == best["guidance"]


@pytest.mark.django_db
def test_point_data_is_refused_for_image_only_families(alice, django_capture_on_commit_callbacks):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="images only"):
        runs.create_run(
            owner=alice, title="t", family="vqvae", dataset="moons", preset="quick", steps=10
        )
    assert not TrainingRun.objects.exists()
