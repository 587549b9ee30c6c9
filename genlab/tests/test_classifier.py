"""The evaluation classifier: its recipe and cache key, augmentation that keeps each data set's
background and class, the dead-feature check. No test here trains a full classifier (minutes of
CPU): the cache is filled with known weights and get_classifier must load them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from genlab import metrics
from genlab.data import Dataset, load_dataset
from genlab.emoji import CATEGORIES
from genlab.nets import Classifier

# The mnist5k recipe of CLASSIFIER_CODE_VERSION 2 (98.6 % held-out, docs/benchmarks.md).
FORMER_MNIST_RECIPE = {
    "width": 32,
    "feat": 128,
    "epochs": 20,
    "batch": 128,
    "lr": 3e-3,
    "weight_decay": 5e-4,
    "rotate_deg": 10.0,
    "shift_px": 2.0,
    "scale": 0.1,
    "label_smoothing": 0.1,
    "seed": 0,
}


def _emoji_like(n: int = 4) -> Dataset:
    """A stand-in with emoji32's name and shape (the recipe reads only these)."""
    return Dataset(
        "emoji32", "image", torch.zeros(n, 3, 32, 32), torch.zeros(n, dtype=torch.long), CATEGORIES
    )


def test_a_cached_classifier_is_loaded_not_trained_again(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))
    monkeypatch.setattr(metrics, "SHIPPED_CLASSIFIERS", tmp_path / "none")  # an upload's case
    ds = load_dataset("mnist5k")
    recipe = metrics.classifier_recipe(ds.split()[0])
    key = metrics.classifier_key(ds, recipe)
    torch.manual_seed(1)
    stored = Classifier(1, 28, 10, recipe["width"], recipe["feat"])
    (tmp_path / "classifiers").mkdir()
    save_file(stored.state_dict(), tmp_path / "classifiers" / f"{key}.safetensors")
    got = metrics.get_classifier("mnist5k")
    assert not got.training
    for name, tensor in stored.state_dict().items():
        assert torch.equal(got.state_dict()[name], tensor), name


def test_a_classifier_cached_by_the_former_recipe_is_not_reused(monkeypatch) -> None:
    """The 98.6 % classifier gave way to the 99 % one: its cache entry has another name, so
    every FD measured after the change comes from the new classifier."""
    ds = load_dataset("mnist5k")
    recipe = metrics.classifier_recipe(ds.split()[0])
    assert recipe != FORMER_MNIST_RECIPE
    key = metrics.classifier_key(ds, recipe)
    assert metrics.classifier_key(ds, {**recipe, "epochs": recipe["epochs"] + 1}) != key
    monkeypatch.setattr(metrics, "CLASSIFIER_CODE_VERSION", 2)
    assert metrics.classifier_key(ds, FORMER_MNIST_RECIPE) != key
    assert metrics.classifier_key(ds, recipe) != key  # same recipe, older code: retrained too


@pytest.mark.parametrize("background", [-1.0, 1.0])
def test_augmented_images_keep_their_background(background: float) -> None:
    """Black around digits, white around emoji: a shifted or rotated image brings in no frame of
    another colour."""
    x = torch.full((32, 3, 32, 32), background)
    recipe = {"rotate_deg": 30.0, "scale": 0.2, "shift_px": 4.0, "hflip": True}
    out = metrics.augment(x, recipe, torch.Generator().manual_seed(0))
    assert torch.allclose(out, x, atol=1e-5)


def test_emoji_are_mirrored_in_training_and_digits_are_not() -> None:
    assert metrics.classifier_recipe(_emoji_like())["hflip"]
    assert not metrics.classifier_recipe(load_dataset("digits").split()[0])["hflip"]
    assert not metrics.classifier_recipe(load_dataset("mnist5k").split()[0])["hflip"]
    x = torch.linspace(-1, 1, 64).reshape(1, 1, 8, 8).repeat(64, 1, 1, 1)
    still = {"rotate_deg": 0.0, "scale": 0.0, "shift_px": 0.0}
    out = metrics.augment(x, {**still, "hflip": True}, torch.Generator().manual_seed(0))
    same = torch.isclose(out, x, atol=1e-5).flatten(1).all(1)
    mirrored = torch.isclose(out, x.flip(-1), atol=1e-5).flatten(1).all(1)
    assert bool((same ^ mirrored).all()) and 16 < int(mirrored.sum()) < 48
    kept = metrics.augment(x, {**still, "hflip": False}, torch.Generator().manual_seed(0))
    assert torch.allclose(kept, x, atol=1e-5)


def test_a_feature_that_never_varies_is_counted_dead() -> None:
    torch.manual_seed(0)
    net = Classifier(1, 8, 10).eval()
    x = torch.randn(64, 1, 8, 8)
    assert metrics.dead_features(net, x) == 0
    last_norm = net.features[-4]
    assert isinstance(last_norm, torch.nn.BatchNorm2d)
    with torch.no_grad():  # feature 3: GELU(-10) whatever the image
        last_norm.weight[3], last_norm.bias[3] = 0.0, -10.0
    assert metrics.dead_features(net, x) == 1


@pytest.mark.parametrize("dataset", ["mnist5k", "emoji32", "digits"])
def test_the_built_in_sets_evaluate_with_the_committed_classifier(
    dataset: str, tmp_path: Path, monkeypatch
) -> None:
    """The zoo cards' FDs were measured by these very weights; a recipe or code change that
    renames the key fails here until the new classifier is trained and committed."""
    monkeypatch.setenv("GENLAB_CACHE", str(tmp_path))  # nothing cached: the shipped one or none

    def refuse(*args, **kwargs):
        raise AssertionError(f"{dataset}: no committed classifier, it would be trained")

    monkeypatch.setattr(metrics, "train_classifier", refuse)
    key = metrics.classifier_name(dataset)
    assert (metrics.SHIPPED_CLASSIFIERS / f"{key}.safetensors").is_file(), key
    net = metrics.get_classifier(dataset)
    assert not net.training and not (tmp_path / "classifiers").exists()
