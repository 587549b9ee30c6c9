"""Schedule rescaling and its version, a GAN loss that brings its hyper-parameters, resume that
may change how often it checkpoints, the training loss's timestep range, the DDPM posterior
variance as a recipe option, and the sampler defaults the CLI takes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab.checkpoint import load
from genlab.cli import main
from genlab.config import SAMPLER_DEFAULTS, resolve_config
from genlab.diffusion import NoiseSchedule, eps_loss, linear_betas
from genlab.errors import ConfigError, RecipeError
from genlab.recipe import Recipe
from genlab.sample import generate, generate_tensor
from genlab.train import Callback, train

GOLDEN = Path(__file__).parent / "data" / "digits-tiny.safetensors"


def test_linear_schedule_reaches_noise_for_any_T() -> None:
    for T in (50, 100, 250, 1000):
        s = NoiseSchedule.make("linear", T)
        assert float(s.alpha_bar[-1]) < 1e-3, T  # the forward process ends at noise
        # improved-DDPM get_named_beta_schedule("linear"): scale = 1000 / T
        expected = np.linspace(1e-4 * 1000 / T, 0.02 * 1000 / T, T, dtype=np.float64)
        assert np.allclose(linear_betas(T).numpy(), expected, rtol=0, atol=1e-12)
    # version 1 (checkpoints made before the fix) keeps the unscaled range
    assert abs(float(NoiseSchedule.make("linear", 100, version=1).alpha_bar[-1]) - 0.364) < 0.01
    assert torch.equal(
        NoiseSchedule.make("linear", 1000, 1).betas, NoiseSchedule.make("linear", 1000, 2).betas
    )


def test_old_checkpoints_keep_their_schedule_and_new_runs_get_the_rescaled_one() -> None:
    old = load(GOLDEN)  # made before schedule_version existed: its pinned images must hold
    assert old.config.schedule_version == 1 and old.config.T == 100
    assert abs(float(old.model.sched.alpha_bar[-1]) - 0.364) < 0.01
    new = resolve_config("diffusion", "digits", size=8, T=100)
    assert new.schedule_version == 2
    with pytest.raises(ConfigError, match="schedule_version must be 1 or 2"):
        resolve_config("diffusion", "digits", schedule_version=3)


def test_the_gan_loss_brings_its_hyperparameters() -> None:
    by_set = resolve_config("gan", "moons", loss="wgan-gp")
    alias = resolve_config("wgan-gp", "moons")
    assert (by_set.k_disc, by_set.lr) == (alias.k_disc, alias.lr) == (5, 1e-4)
    assert resolve_config("gan", "digits", size=8, loss="wgan-gp").k_disc == 5
    explicit = resolve_config("gan", "moons", loss="wgan-gp", k_disc=2, lr=3e-4)
    assert (explicit.k_disc, explicit.lr) == (2, 3e-4)  # what the user says wins
    assert resolve_config("gan", "moons", loss="minimax").k_disc == 1


def test_the_training_loss_draws_every_timestep_and_no_other() -> None:
    T, seen = 6, []

    def eps_theta(x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        seen.extend(t.tolist())
        return torch.zeros_like(x)

    sched = NoiseSchedule.make("linear", T)
    gen = torch.Generator().manual_seed(0)
    eps_loss(eps_theta, sched, torch.zeros(2000, 2), None, gen)
    # 0-indexed t = 0 .. T - 1 (the paper's 1 .. T): losing either end, or going past it, fails
    assert set(seen) == set(range(T))


class Checkpoints(Callback):
    def __init__(self) -> None:
        self.steps: list[int] = []

    def on_checkpoint(self, step: int, path: Path) -> None:
        self.steps.append(step)


def test_resume_may_change_checkpoint_every(tmp_path: Path, capsys) -> None:
    cfg = resolve_config("vae", "moons", steps=10, checkpoint_every=0)
    train(cfg, out_dir=tmp_path)
    rec = Checkpoints()
    extended = {**cfg.to_dict(), "steps": 30, "checkpoint_every": 7}
    result = train(extended, out_dir=tmp_path, callbacks=[rec], resume=True)
    assert result.step == 30 and rec.steps == [14, 21, 28, 30]
    # the command line passes it on too
    out = str(tmp_path)
    args = ["train", "vae", "--dataset", "moons", "--out", out, "--resume", "--steps", "40"]
    assert main([*args, "--checkpoint-every", "5"]) == 0
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert json.loads(state["config"])["checkpoint_every"] == 5
    assert "completed at step 40" in capsys.readouterr().out


def test_the_posterior_variance_is_a_recipe_option(digits_diffusion: Path) -> None:
    ckpt = load(digits_diffusion)
    plain = Recipe(ckpt.sha256, sampler="ddpm", seed=2, labels=[4], count=3)
    tilde = dataclasses.replace(plain, variance="beta_tilde")
    assert "variance" not in plain.to_json()  # older recipes keep their JSON and hash
    assert '"variance":"beta_tilde"' in tilde.to_json()
    assert Recipe.from_json(tilde.to_json()) == tilde and tilde.hash != plain.hash
    a = generate(tilde, ckpt)
    assert np.array_equal(a, generate(tilde, load(digits_diffusion)))
    # the smaller sigma_t moves the samples (a 30-step model's pixels may all saturate, so
    # compare before the 8-bit conversion)
    assert not torch.equal(generate_tensor(tilde, ckpt), generate_tensor(plain, ckpt))
    with pytest.raises(RecipeError, match="variance applies only to the DDPM sampler"):
        generate(dataclasses.replace(tilde, sampler="ddim"), ckpt)
    with pytest.raises(RecipeError, match="unknown variance"):
        Recipe(ckpt.sha256, variance="large")


def test_the_cli_samples_with_the_measured_defaults(
    digits_diffusion: Path, tmp_path: Path, capsys
) -> None:
    out = str(tmp_path / "g.png")
    assert main(["sample", str(digits_diffusion), "--n", "2", "--label", "1", "--out", out]) == 0
    recipe = json.loads(capsys.readouterr().out)["recipe"]
    best = SAMPLER_DEFAULTS["diffusion"]
    assert (recipe["sampler"], recipe["eta"], recipe["guidance"], recipe["steps"]) == (
        best["sampler"],
        best["eta"],
        best["guidance"],
        best["steps"],
    )
    args = ["sample", str(digits_diffusion), "--n", "2", "--eta", "0", "--guidance", "0"]
    assert main([*args, "--variance", "beta_tilde", "--out", out]) == 2  # DDIM: refused
    assert "variance applies only to the DDPM sampler" in capsys.readouterr().err


def test_wgan_clips_the_critic_and_uses_its_papers_settings() -> None:
    from genlab.data import load_dataset
    from genlab.family import DataSpec
    from genlab.gan import GANFamily, critic_loss_wgan

    # WGAN eq. 3: the critic minimises E[f(G(z))] - E[f(x)]
    assert float(critic_loss_wgan(torch.tensor([3.0, 1.0]), torch.tensor([0.5, -0.5]))) == -2.0
    cfg = resolve_config("wgan", "moons", batch_size=32)
    assert (cfg.loss, cfg.k_disc, cfg.lr, cfg.clip_value) == ("wgan", 5, 5e-5, 0.01)
    assert resolve_config("gan", "moons", loss="wgan").k_disc == 5  # by --set too
    train_ds, _ = load_dataset("moons").split()
    torch.manual_seed(0)
    model = GANFamily(cfg, DataSpec.of(train_ds, False))
    assert isinstance(model.opt_D, torch.optim.RMSprop)
    assert max(float(p.detach().abs().max()) for p in model.D.parameters()) > cfg.clip_value
    losses = model.train_step(train_ds, torch.Generator().manual_seed(1), 0)
    assert max(float(p.detach().abs().max()) for p in model.D.parameters()) <= cfg.clip_value
    assert np.isfinite(losses["d_loss"]) and np.isfinite(losses["g_loss"])
