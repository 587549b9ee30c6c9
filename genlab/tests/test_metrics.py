"""Metrics: MMD and Frechet distance sanity, and `evaluate` from the CLI."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab.checkpoint import load
from genlab.config import resolve_config
from genlab.data import images_to_uint8
from genlab.metrics import as_displayed, bootstrap_fd, evaluate, frechet_distance, mmd2_unbiased

REPO = Path(__file__).resolve().parents[2]


def test_mmd_separates_distributions() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(500, 2, generator=g), torch.randn(500, 2, generator=g)
    assert abs(mmd2_unbiased(a, b)) < 0.02
    assert mmd2_unbiased(a, b + 2.0) > 0.5


def test_frechet_distance_matches_the_gaussian_closed_form() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20000, 3))
    b = rng.normal(size=(20000, 3)) * 2 + 1
    # FD(N(0, I), N(1, 4I)) = 3 * 1^2 + tr(I + 4I - 2 * 2I) = 3 + 3
    assert abs(frechet_distance(a, b) - 6.0) < 0.2
    assert frechet_distance(a, a) < 1e-6


def test_evaluate_reports_fd_with_floor_interval_and_a_trustworthy_classifier(
    digits_diffusion: Path,
) -> None:
    scores = evaluate(load(digits_diffusion), n=100, steps=5)
    assert scores["n"] == 100
    assert scores["classifier_val_accuracy"] >= 0.97  # the evaluator itself is accurate
    assert scores["classifier_dead_features"] == 0  # every feature varies over the data
    # a barely trained model is far worse than real images at the same n, and the interval
    # brackets its FD
    assert scores["classifier_fd"] > 2 * scores["real_fd_floor"] > 0
    low, high = scores["classifier_fd_ci95_low"], scores["classifier_fd_ci95_high"]
    assert low <= scores["classifier_fd"] <= high
    assert 0 <= scores["class_accuracy"] <= 1


def test_bootstrap_interval_covers_the_estimate_and_separates_distributions() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(1000, 4)), rng.normal(size=(1000, 4))
    lo, hi = bootstrap_fd(a, b, rounds=100)
    shifted_lo, shifted_hi = bootstrap_fd(a, b + 0.5, rounds=100)
    assert lo <= frechet_distance(a, b) <= hi < shifted_lo  # 4 * 0.25 = 1 apart
    assert shifted_lo <= frechet_distance(a, b + 0.5) <= shifted_hi
    # a small sample: duplicates inflate every resample's FD, yet the interval holds the estimate
    few, other = rng.normal(size=(60, 8)), rng.normal(size=(60, 8)) + 0.3
    lo, hi = bootstrap_fd(few, other, rounds=100)
    assert 0 <= lo <= frechet_distance(few, other) <= hi


def test_scores_are_computed_on_the_images_as_displayed() -> None:
    x = torch.tensor([[[[-3.0, -1.0], [0.3, 7.0]]]])
    shown = as_displayed(x)
    # 0.3 -> round(0.65 * 255) = 166; outside [-1, 1] -> 0 or 255
    assert torch.allclose(shown, torch.tensor([[[[-1.0, -1.0], [166 / 255 * 2 - 1, 1.0]]]]))
    assert np.array_equal(images_to_uint8(shown), images_to_uint8(x))


def test_iwae_bound_matches_its_equation_and_tightens_with_k() -> None:
    from torch.distributions import Bernoulli, Normal

    from genlab.vae import VAE

    torch.manual_seed(0)
    vae = VAE((1, 8, 8), 3, "bernoulli", 4, 16).eval()
    x = torch.bernoulli(torch.full((5, 1, 8, 8), 0.3), generator=torch.Generator().manual_seed(1))
    k = 7
    got = vae.iwae_bound(x, k, torch.Generator().manual_seed(2), chunk=k)
    gen = torch.Generator().manual_seed(2)
    mu, log_var = vae.encoder(x)
    z = mu + (0.5 * log_var).exp() * torch.randn((k, *mu.shape), generator=gen)
    ref = torch.empty(k, 5)
    for i in range(k):  # Burda et al. eq. 8 term by term
        log_px = Bernoulli(logits=vae.decoder(z[i])).log_prob(x).flatten(1).sum(1)
        log_pz = Normal(0.0, 1.0).log_prob(z[i]).sum(1)
        log_qz = Normal(mu, (0.5 * log_var).exp()).log_prob(z[i]).sum(1)
        ref[i] = log_px + log_pz - log_qz
    expected = torch.logsumexp(ref, 0) - math.log(k)
    assert torch.allclose(got, expected, atol=1e-4)
    # in expectation the bound rises with k towards log p(x)
    g = torch.Generator().manual_seed(3)
    one = torch.stack([vae.iwae_bound(x, 1, g) for _ in range(200)]).mean()
    many = torch.stack([vae.iwae_bound(x, 50, g) for _ in range(20)]).mean()
    assert many > one


def test_vae_early_stopping_saves_the_best_validation_weights_and_evaluate_reports_the_nll(
    tmp_path: Path,
) -> None:
    from genlab.data import load_dataset
    from genlab.train import train

    cfg = resolve_config("vae", "digits", steps=40, val_every=10, shift_px=1, batch_size=64)
    result = train(cfg, out_dir=tmp_path)
    best = result.metrics["best_validation_step"]
    assert best in (10, 20, 30, 40)
    ckpt = load(result.checkpoint)
    train_split, _ = load_dataset("digits").split()
    fit, validation = ckpt.model.fit_and_validation(train_split)
    assert len(fit) + len(validation) == len(train_split)
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert json.loads(state["extra"])["best_step"] == best
    saved = ckpt.model.elbo_of(ckpt.model.model, validation)
    assert saved == pytest.approx(json.loads(state["extra"])["best_elbo"], abs=1e-3)
    scores = evaluate(ckpt, n=50, iwae_k=20)
    # the importance-weighted bound is tighter than the one-sample ELBO
    assert 0 < scores["heldout_iwae_nll_nats"] < -scores["heldout_elbo_nats"]
    assert scores["iwae_k"] == 20


def test_the_quality_vae_preset_stops_early_on_validation_and_the_quick_one_does_not() -> None:
    quality = resolve_config("vae", "mnist5k", "quality")
    assert (quality.val_every, quality.shift_px, quality.steps) == (250, 1, 10000)
    quick = resolve_config("vae", "mnist5k")
    assert (quick.val_every, quick.shift_px) == (0, 0)
    # an explicit option still wins over the preset
    assert resolve_config("vae", "mnist5k", "quality", val_every=0).val_every == 0


def test_cli_evaluate_and_info(digits_diffusion: Path) -> None:
    run = [sys.executable, "-m", "genlab"]
    ev = subprocess.run(
        [*run, "evaluate", str(digits_diffusion), "--n", "50", "--steps", "3", "--eta", "0.5"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=180,
        check=False,
    )
    assert ev.returncode == 0, ev.stderr
    assert "classifier_fd:" in ev.stdout and "class_accuracy:" in ev.stdout
    assert "real_fd_floor:" in ev.stdout and "classifier_fd_ci95_high:" in ev.stdout
    info = subprocess.run(
        [*run, "info", str(digits_diffusion)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert info.returncode == 0 and '"family": "diffusion"' in info.stdout
    bad = subprocess.run(
        [*run, "info", str(REPO / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "genlab: error:" in bad.stderr
