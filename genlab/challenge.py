"""Challenge scoring: a checkpoint sampled under a fixed protocol and measured against the sealed
part of its data set's held-out split (`Dataset.heldout_parts()[1]`), which nothing else reads.

A task is one entry of `genlab.tasks.TASKS` (no torch import, so the site's pages read it
cheaply): the data sets it accepts and the metrics it reports; `MEASURES` below computes them for
each kind of task. A new task on an existing kind (emoji images once that data set lands) is one
entry there; a new kind (Tang poems: bits per character and form rate) adds its measure here."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from genlab.checkpoint import Checkpoint
from genlab.data import Dataset, images_to_uint8, load_dataset
from genlab.errors import RecipeError
from genlab.recipe import Recipe
from genlab.sample import fill_defaults, generate_tensor
from genlab.tasks import TASKS, Task

__all__ = ["TASKS", "Protocol", "Scored", "Task", "regenerate_digest", "score", "weights_digest"]


@dataclass(frozen=True)
class Protocol:
    """How every entry of a challenge is sampled: one seed, one sample count, the samplers a
    submitter may pick and the most sampling steps they may ask for."""

    seed: int = 0
    count: int = 500
    samplers: tuple[str, ...] = ("ddim", "ddpm", "direct")
    max_steps: int = 50


@dataclass
class Scored:
    metrics: dict[str, float]
    samples_sha256: str  # what a regeneration from the recipe must reproduce bit for bit
    recipe: Recipe


def _measure_images(
    ckpt: Checkpoint, samples: torch.Tensor, sealed: Dataset, labels: torch.Tensor | None
) -> dict[str, float]:
    from genlab.metrics import as_displayed, classifier_scores, get_classifier

    net = get_classifier(ckpt.config.dataset, ckpt.config.image_size)  # fit on the training split
    n = min(len(samples), len(sealed))
    out = classifier_scores(net, as_displayed(samples[:n]), sealed.x[:n], None)
    if labels is not None:
        scores = classifier_scores(net, as_displayed(samples), sealed.x[:n], labels)
        out["class_accuracy"] = scores["class_accuracy"]
    if ckpt.config.family == "vae":
        out["elbo_nats"] = ckpt.model.heldout_elbo(sealed)  # type: ignore[attr-defined]
    return out


def _measure_points(
    ckpt: Checkpoint, samples: torch.Tensor, sealed: Dataset, _labels: torch.Tensor | None
) -> dict[str, float]:
    from genlab.metrics import mmd2_unbiased

    n = min(len(samples), len(sealed))
    return {"mmd2": mmd2_unbiased(samples[:n], sealed.x[:n])}


# How each kind of task is measured (genlab/tasks.py names the kind of each task).
MEASURES: dict[str, Callable[..., dict[str, float]]] = {
    "image": _measure_images,
    "points": _measure_points,
}


def sealed_split(name: str, image_size: int | None = None) -> Dataset:
    """The sealed part of a built-in data set. Only `score` calls this."""
    return load_dataset(name, image_size=image_size).heldout_parts()[1]


def protocol_recipe(
    ckpt: Checkpoint, protocol: Protocol, sampler: str | None, steps: int | None
) -> Recipe:
    """The recipe every entry is sampled with: the protocol's seed and count, the submitter's
    sampler and steps within what the protocol allows, labels cycling through the classes."""
    opts = fill_defaults(ckpt, sampler, steps)
    if opts["sampler"] not in protocol.samplers:
        raise RecipeError(f"the protocol allows the samplers {', '.join(protocol.samplers)}")
    steps = min(int(opts["steps"]), protocol.max_steps)
    k = ckpt.spec.num_classes
    labels = (
        tuple(i % k for i in range(protocol.count)) if k and ckpt.spec.kind == "image" else None
    )
    return Recipe(
        ckpt.sha256,
        sampler=opts["sampler"],
        steps=steps,
        eta=opts["eta"],
        guidance=opts["guidance"] if k else 0.0,
        seed=protocol.seed,
        labels=labels,
        count=protocol.count,
    )


def samples_digest(ckpt: Checkpoint, samples: torch.Tensor) -> str:
    """Images as displayed (8-bit), points as their float32 bytes."""
    if ckpt.spec.kind == "image":
        raw = images_to_uint8(samples).tobytes()
    else:
        raw = np.ascontiguousarray(samples.float().numpy()).tobytes()
    return hashlib.sha256(raw).hexdigest()


def score(
    ckpt: Checkpoint,
    task: Task,
    protocol: Protocol,
    *,
    sampler: str | None = None,
    steps: int | None = None,
) -> Scored:
    if ckpt.config.dataset not in task.datasets or ckpt.spec.kind != task.kind:
        raise RecipeError(f"this task takes models of {', '.join(task.datasets)}")
    recipe = protocol_recipe(ckpt, protocol, sampler, steps)
    samples = generate_tensor(recipe, ckpt)
    sealed = sealed_split(ckpt.config.dataset, ckpt.config.image_size)
    labels = torch.tensor(recipe.labels) if recipe.labels else None
    metrics = MEASURES[task.kind](ckpt, samples, sealed, labels)
    return Scored({k: float(v) for k, v in metrics.items()}, samples_digest(ckpt, samples), recipe)


def weights_digest(ckpt: Checkpoint) -> str:
    """SHA-256 of the weights alone (names, dtypes, shapes, bytes): a checkpoint file's own hash
    also covers its creation time, so two bit-identical trainings differ there."""
    from genlab.checkpoint import state_tensors

    h = hashlib.sha256()
    for name, tensor in sorted(state_tensors(ckpt.model).items()):
        h.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        h.update(tensor.cpu().numpy().tobytes())
    return h.hexdigest()


def regenerate_digest(ckpt: Checkpoint, recipe: Recipe) -> str:
    """The protocol's samples drawn again from a (rebuilt) checkpoint, hashed as `score` does."""
    rebuilt = Recipe(**{**recipe.__dict__, "checkpoint_sha256": ckpt.sha256})
    return samples_digest(ckpt, generate_tensor(rebuilt, ckpt))
