"""Generation recipes: a generation is a pure function of (checkpoint hash, sampler, steps, eta,
guidance, seed, labels, count). The same recipe gives bit-identical images on the same build."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genlab.checkpoint import Checkpoint
from genlab.checkpoint import load as load_checkpoint
from genlab.config import DIFFUSION_FAMILIES, SAMPLER_DEFAULTS
from genlab.data import images_to_uint8
from genlab.errors import RecipeError
from genlab.images import grid, scatter
from genlab.recipe import MAX_COUNT, Recipe


def sampler_defaults(ckpt: Checkpoint | str, conditional: bool | None = None) -> dict[str, Any]:
    """The measured best sampler settings (genlab.config.SAMPLER_DEFAULTS) for a checkpoint (or
    a family name): guidance only for a conditional model (`conditional`, else the checkpoint's
    classes)."""
    family = ckpt if isinstance(ckpt, str) else ckpt.family
    d = dict(SAMPLER_DEFAULTS[family])
    if conditional is None:
        conditional = not isinstance(ckpt, str) and bool(ckpt.spec.num_classes)
    if not conditional:
        d["guidance"] = 0.0
    return d


def fill_defaults(
    ckpt: Checkpoint,
    sampler: str | None = None,
    steps: int | None = None,
    eta: float | None = None,
    guidance: float | None = None,
) -> dict[str, Any]:
    """Sampler options with the ones not given taken from the family's measured defaults; eta
    only matters to DDIM, so another sampler keeps eta 0 (the recipe's own default)."""
    d = sampler_defaults(ckpt)
    sampler = sampler or d["sampler"]
    return {
        "sampler": sampler,
        "steps": d["steps"] if steps is None else steps,
        "eta": (d["eta"] if sampler == "ddim" else 0.0) if eta is None else eta,
        "guidance": d["guidance"] if guidance is None else guidance,
    }


def resolve_labels(ckpt: Checkpoint, recipe: Recipe) -> torch.Tensor | None:
    k = ckpt.spec.num_classes
    if recipe.labels is None:
        if k and ckpt.family not in DIFFUSION_FAMILIES:
            # a conditional GAN / StyleGAN / VQ-VAE prior needs a label: cycle the classes
            return torch.arange(recipe.count) % k
        return None
    if not k:
        raise RecipeError(f"checkpoint {ckpt.path.name} is unconditional; it takes no labels")
    labels = list(recipe.labels)
    for lab in labels:
        if not 0 <= lab < k:
            raise RecipeError(f"label {lab} is outside the classes 0..{k - 1} of this checkpoint")
    if len(labels) == 1:
        labels = labels * recipe.count
    if len(labels) != recipe.count:
        raise RecipeError(
            f"{len(labels)} labels for {recipe.count} samples; give 1 or {recipe.count}"
        )
    return torch.tensor(labels, dtype=torch.long)


def check_recipe(ckpt: Checkpoint, recipe: Recipe) -> str:
    if recipe.checkpoint_sha256 and recipe.checkpoint_sha256 != ckpt.sha256:
        raise RecipeError(
            f"recipe is for checkpoint {recipe.checkpoint_sha256[:12]}, not {ckpt.sha256[:12]}"
        )
    sampler = recipe.sampler or ckpt.model.default_sampler()
    if sampler not in ckpt.model.samplers():
        raise RecipeError(
            f"sampler {sampler!r} does not apply to a {ckpt.family} checkpoint; "
            f"use {', '.join(ckpt.model.samplers())}"
        )
    if not 1 <= recipe.count <= MAX_COUNT:
        raise RecipeError(f"count must be between 1 and {MAX_COUNT}, got {recipe.count}")
    if sampler == "ddim" and not 1 <= recipe.steps <= ckpt.config.T:
        raise RecipeError(f"DDIM steps must be between 1 and T={ckpt.config.T}, got {recipe.steps}")
    if recipe.clip_sample and not (
        sampler == "ddim" and ckpt.family == "diffusion" and ckpt.spec.kind == "image"
    ):
        raise RecipeError(
            "clip_sample applies only to the DDIM sampler of an image diffusion checkpoint"
        )
    if recipe.variance != "beta" and sampler != "ddpm":
        raise RecipeError("variance applies only to the DDPM sampler")
    if recipe.guidance and ckpt.family not in DIFFUSION_FAMILIES:
        raise RecipeError(f"guidance does not apply to a {ckpt.family} checkpoint")
    return sampler


def generate_tensor(recipe: Recipe, checkpoint: Checkpoint | str | Path) -> torch.Tensor:
    """Samples in data space ([-1, 1] images or 2-D points)."""
    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    sampler = check_recipe(ckpt, recipe)
    labels = resolve_labels(ckpt, recipe)
    gen = torch.Generator().manual_seed(recipe.seed)  # all sampling noise comes from here
    ckpt.model.eval_mode()
    with torch.inference_mode():
        return ckpt.model.generate(
            recipe.count,
            gen,
            labels,
            sampler,
            recipe.steps,
            recipe.eta,
            recipe.guidance,
            clip_sample=recipe.clip_sample,
            variance=recipe.variance,
        )


def generate(recipe: Recipe, checkpoint: Checkpoint | str | Path) -> np.ndarray:
    """uint8 images (N, H, W, C); for 2-D data one (1, 256, 256, 3) scatter rendering."""
    ckpt = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
    x = generate_tensor(recipe, ckpt)
    if ckpt.spec.kind == "points":
        return scatter(x)[None]
    return images_to_uint8(x)


def to_grid(images: np.ndarray, nrow: int | None = None) -> np.ndarray:
    return images[0] if images.shape[0] == 1 else grid(images, nrow)


def images_sha256(images: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()


def recipe_for(ckpt: Checkpoint, **kw: object) -> Recipe:
    return Recipe(checkpoint_sha256=ckpt.sha256, **kw)  # type: ignore[arg-type]


def parse_labels(text: str | None) -> Sequence[int] | None:
    if text is None or text == "":
        return None
    try:
        return [int(v) for v in text.split(",")]
    except ValueError as exc:
        raise RecipeError(f"labels must be integers separated by commas, got {text!r}") from exc


def dumps(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))
