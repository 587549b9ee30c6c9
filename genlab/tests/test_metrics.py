"""Metrics: MMD and Frechet distance sanity, and `evaluate` from the CLI."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import torch

from genlab.checkpoint import load
from genlab.metrics import evaluate, frechet_distance, mmd2_unbiased

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


def test_evaluate_reports_classifier_fd_and_accuracy(digits_diffusion: Path) -> None:
    scores = evaluate(load(digits_diffusion), n=100, steps=5)
    assert {"classifier_fd", "class_accuracy", "classifier_val_accuracy"} <= scores.keys()
    assert scores["classifier_val_accuracy"] > 0.8  # the evaluator itself works
    assert scores["classifier_fd"] > 0


def test_cli_evaluate_and_info(digits_diffusion: Path) -> None:
    run = [sys.executable, "-m", "genlab"]
    ev = subprocess.run(
        [*run, "evaluate", str(digits_diffusion), "--n", "50", "--steps", "3"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=180,
        check=False,
    )
    assert ev.returncode == 0, ev.stderr
    assert "classifier_fd:" in ev.stdout and "class_accuracy:" in ev.stdout
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
