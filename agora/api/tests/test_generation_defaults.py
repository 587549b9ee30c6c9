"""POST /models/{id}/generations: sampler options left out take the model family's measured
defaults (genlab.config.SAMPLER_DEFAULTS), the same ones the CLI and the site's form use."""

from __future__ import annotations

import pytest

from agora.api.tests.conftest import call
from genlab.config import SAMPLER_DEFAULTS

pytestmark = pytest.mark.django_db


def _post(client, world, model, body):
    path = f"/api/v1/models/{model.id}/generations"
    return call(client, world, "member", "POST", path, body)


def test_left_out_sampler_options_take_the_family_defaults(client, world):
    response = _post(client, world, world.public_model, {"seed": 3, "count": 2})
    assert response.status_code == 201, response.content
    recipe = response.json()["recipe"]
    best = SAMPLER_DEFAULTS["diffusion"]
    assert (recipe["sampler"], recipe["steps"], recipe["eta"]) == (
        best["sampler"],
        best["steps"],
        best["eta"],
    )
    assert recipe["eta"] == 1.0  # not the former API default 0
    assert recipe["guidance"] == 0.0  # the moons model is unconditional: no guidance


def test_a_conditional_diffusion_model_gets_the_default_guidance(client, world):
    run = world.public_model.run
    run.dataset = "digits"
    run.save(update_fields=["dataset"])
    response = _post(client, world, world.public_model, {"seed": 3, "count": 1})
    assert response.status_code == 201, response.content
    assert response.json()["recipe"]["guidance"] == SAMPLER_DEFAULTS["diffusion"]["guidance"]


def test_given_options_win_and_ddpm_keeps_eta_zero(client, world):
    body = {"sampler": "ddpm", "steps": 7, "seed": 1, "count": 1}
    recipe = _post(client, world, world.public_model, body).json()["recipe"]
    assert (recipe["sampler"], recipe["steps"], recipe["eta"]) == ("ddpm", 7, 0.0)
    body = {"sampler": "ddim", "steps": 9, "eta": 0.0, "seed": 1, "count": 1}
    recipe = _post(client, world, world.public_model, body).json()["recipe"]
    assert (recipe["steps"], recipe["eta"]) == (9, 0.0)


def test_a_direct_family_defaults_to_the_direct_sampler(client, world):
    run = world.public_model.run
    run.family = "vqvae"
    run.settings = {"family": "vqvae"}
    run.dataset = "digits"
    run.save(update_fields=["family", "settings", "dataset"])
    recipe = _post(client, world, world.public_model, {"seed": 2, "count": 1}).json()["recipe"]
    assert (recipe["sampler"], recipe["eta"], recipe["guidance"]) == ("direct", 0.0, 0.0)
    refused = _post(client, world, world.public_model, {"sampler": "ddim", "count": 1})
    assert refused.status_code in (400, 422)


def test_a_stranger_may_not_generate_from_a_private_model_without_options(client, world):
    path = f"/api/v1/models/{world.private_model.id}/generations"
    response = call(client, world, "stranger", "POST", path, {"count": 1})
    assert response.status_code == 404
