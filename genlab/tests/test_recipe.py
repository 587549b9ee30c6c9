"""A generation is a pure function of its recipe: same bits in-process, in a new process."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from genlab.checkpoint import load
from genlab.errors import RecipeError
from genlab.images import png_bytes
from genlab.recipe import Recipe
from genlab.sample import generate, images_sha256, to_grid

REPO = Path(__file__).resolve().parents[2]


def test_recipe_json_and_hash_are_stable() -> None:
    r = Recipe("ab" * 32, sampler="ddim", steps=20, eta=0, guidance=2, seed=7, labels=[3], count=4)
    again = Recipe.from_json(r.to_json())
    assert again == r and again.hash == r.hash
    assert r.to_json() == Recipe.from_json(json.dumps(json.loads(r.to_json()))).to_json()
    assert Recipe("ab" * 32, seed=8).hash != Recipe("ab" * 32, seed=7).hash
    # a pinned value: the serialisation must not drift between versions
    assert r.to_json() == (
        '{"checkpoint_sha256":"' + "ab" * 32 + '","count":4,"eta":0.0,"guidance":2.0,'
        '"labels":[3],"sampler":"ddim","seed":7,"steps":20,"version":1}'
    )


@pytest.mark.parametrize(("sampler", "eta"), [("ddim", 0.0), ("ddim", 1.0), ("ddpm", 0.0)])
def test_same_recipe_gives_identical_images_in_process(
    digits_diffusion: Path, sampler: str, eta: float
) -> None:
    ckpt = load(digits_diffusion)
    r = Recipe(
        ckpt.sha256,
        sampler=sampler,
        steps=10,
        eta=eta,
        guidance=1.5,
        seed=3,
        labels=[1, 2, 3, 4],
        count=4,
    )
    a = generate(r, ckpt)
    b = generate(r, load(digits_diffusion))
    assert a.dtype == np.uint8 and a.shape == (4, 8, 8, 1)
    assert np.array_equal(a, b)
    other = dataclasses.replace(r, seed=4)
    assert not np.array_equal(a, generate(other, ckpt))


def test_same_recipe_gives_identical_images_in_a_new_process(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    ckpt = load(digits_diffusion)
    r = Recipe(
        ckpt.sha256, sampler="ddim", steps=8, eta=0.5, guidance=2.0, seed=11, labels=[5], count=6
    )
    images = generate(r, ckpt)
    out = tmp_path / "grid.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "genlab",
            "sample",
            str(digits_diffusion),
            "--sampler",
            "ddim",
            "--steps",
            "8",
            "--eta",
            "0.5",
            "--guidance",
            "2",
            "--seed",
            "11",
            "--label",
            "5",
            "--n",
            "6",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["recipe_hash"] == r.hash
    assert report["images_sha256"] == images_sha256(images)
    assert out.read_bytes() == png_bytes(to_grid(images))


def test_label_outside_the_classes_and_wrong_sampler_are_clear_errors(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    ckpt = load(digits_diffusion)
    with pytest.raises(RecipeError, match=r"label 10 is outside the classes 0\.\.9"):
        generate(Recipe(ckpt.sha256, labels=[10], count=2), ckpt)
    with pytest.raises(RecipeError, match="sampler 'direct' does not apply"):
        generate(Recipe(ckpt.sha256, sampler="direct", count=2), ckpt)
    with pytest.raises(RecipeError, match="recipe is for checkpoint"):
        generate(Recipe("0" * 64, count=2), ckpt)
    out = tmp_path / "never.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "genlab",
            "sample",
            str(digits_diffusion),
            "--label",
            "42",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert "label 42 is outside the classes" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_clip_sample_is_written_only_when_set_and_round_trips() -> None:
    plain = Recipe("ab" * 32, sampler="ddim", steps=20, guidance=2, seed=7, labels=[3], count=4)
    clipped = dataclasses.replace(plain, clip_sample=True)
    assert "clip_sample" not in plain.to_json()  # recipes from before the option keep their hash
    assert '"clip_sample":true' in clipped.to_json()
    assert Recipe.from_json(clipped.to_json()) == clipped and clipped.hash != plain.hash
    with pytest.raises(RecipeError, match="clip_sample must be true or false"):
        Recipe.from_json(clipped.to_json().replace("true", '"yes"'))


def test_clipped_ddim_stays_in_range_is_reproducible_and_ddim_only(digits_diffusion: Path) -> None:
    from genlab.sample import generate_tensor

    ckpt = load(digits_diffusion)
    r = Recipe(ckpt.sha256, sampler="ddim", steps=10, guidance=4.0, seed=5, labels=[7], count=8)
    clipped = dataclasses.replace(r, clip_sample=True)
    x = generate_tensor(clipped, ckpt)
    assert x.abs().max() <= 1.0  # the last step returns the clamped x0 prediction
    assert not torch.equal(x, generate_tensor(r, ckpt))
    assert np.array_equal(generate(clipped, ckpt), generate(clipped, load(digits_diffusion)))
    with pytest.raises(RecipeError, match="clip_sample applies only to the DDIM sampler"):
        generate(dataclasses.replace(clipped, sampler="ddpm"), ckpt)
