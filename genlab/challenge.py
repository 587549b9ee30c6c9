"""Challenge scoring: a checkpoint sampled under a fixed protocol and measured against the sealed
part of its data set's held-out split (`Dataset.heldout_parts()[1]`), which nothing else reads.

A task is one entry of `TASKS`: the data sets it accepts, the metrics it reports (the first is the
ranking metric) and the function that computes them. A new task (emoji images, Tang poems once
their families land) is one more entry."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from genlab.checkpoint import Checkpoint
from genlab.data import TOYS, Dataset, images_to_uint8, load_dataset
from genlab.errors import RecipeError
from genlab.recipe import Recipe
from genlab.sample import fill_defaults, generate_tensor


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


@dataclass(frozen=True)
class Task:
    key: str
    kind: str  # "image" or "points": the data the task's models generate
    datasets: tuple[str, ...]
    metrics: tuple[str, ...]  # the first ranks the leaderboard
    lower_is_better: dict[str, bool] = field(default_factory=dict)
    measure: Callable[
        [Checkpoint, torch.Tensor, Dataset, torch.Tensor | None], dict[str, float]
    ] = lambda *_: {}

    def better(self, metric: str) -> str:
        return "lower" if self.lower_is_better.get(metric, True) else "higher"


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


TASKS: dict[str, Task] = {
    t.key: t
    for t in (
        Task(
            "conditional-images",
            "image",
            ("mnist5k", "digits"),
            ("classifier_fd", "class_accuracy", "elbo_nats"),
            {"classifier_fd": True, "class_accuracy": False, "elbo_nats": False},
            _measure_images,
        ),
        Task("density-2d", "points", TOYS, ("mmd2",), {"mmd2": True}, _measure_points),
    )
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
    metrics = task.measure(ckpt, samples, sealed, labels)
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
