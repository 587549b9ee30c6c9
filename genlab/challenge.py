"""Challenge scoring: a checkpoint sampled under a fixed protocol and measured against the sealed
part of its data set's held-out split (`Dataset.heldout_parts()[1]`), which nothing else reads.

A task is one entry of `genlab.tasks.TASKS` (no torch import, so the site's pages read it
cheaply): the data sets it accepts and the metrics it reports; `MEASURES` below computes them for
each kind of task. A new task on an existing kind is one entry there; a new kind adds its measure
here. Text tasks (Tang poems) read the sealed documents of a built-in corpus
(`TextCorpus.heldout_parts()[1]`, through `sealed_texts`), nothing else does."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import torch

from genlab.checkpoint import Checkpoint
from genlab.data import Dataset, images_to_uint8, load_dataset
from genlab.errors import RecipeError
from genlab.gpt import TextRecipe
from genlab.recipe import Recipe
from genlab.sample import fill_defaults, generate_tensor
from genlab.tasks import TASKS, TEXT_PROTOCOL, Task

__all__ = ["TASKS", "Protocol", "Scored", "Task", "regenerate_digest", "score", "weights_digest"]

# Text tasks score the sealed documents written in the TEXT_EVAL_VOCAB - 1 most frequent
# characters of the training split (what a character vocabulary of TEXT_EVAL_VOCAB holds, the
# zoo's tang-gpt's): the same documents for every entry, whatever its vocabulary, so a model
# with a small vocabulary cannot pick the easy poems. A model that cannot encode them is refused.
TEXT_EVAL_VOCAB = 3000


@dataclass(frozen=True)
class Protocol:
    """How every entry of a challenge is sampled: one seed, one sample count, the samplers a
    submitter may pick and the most sampling steps they may ask for; text is drawn with fixed
    sampler settings (temperature, top-k, top-p, most new tokens) the submitter cannot change."""

    seed: int = 0
    count: int = 500
    samplers: tuple[str, ...] = ("ddim", "ddpm", "direct")
    max_steps: int = 50
    temperature: float = float(TEXT_PROTOCOL["temperature"])
    top_k: int = int(TEXT_PROTOCOL["top_k"])
    top_p: float = float(TEXT_PROTOCOL["top_p"])
    length: int = int(TEXT_PROTOCOL["length"])

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Protocol:
        """A challenge's stored protocol (its JSON); fields it lacks take the defaults."""
        known = {f.name for f in fields(cls)}
        given = {k: v for k, v in d.items() if k in known}
        if "samplers" in given:
            given["samplers"] = tuple(given["samplers"])
        return cls(**given)


@dataclass
class Scored:
    metrics: dict[str, float]
    samples_sha256: str  # what a regeneration from the recipe must reproduce bit for bit
    recipe: Recipe | TextRecipe


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


def sealed_bits_per_char(ckpt: Checkpoint, poems: list[str] | None = None) -> float:
    """Bits per character of a text task's sealed documents (`evaluation_texts`), read as a
    run's validation is (genlab.gpt.bits_per_char: document by document from each separator
    for a model trained on document-aligned windows; separators counted)."""
    from genlab.gpt import bits_per_char
    from genlab.text import to_stream

    if poems is None:
        poems = list(evaluation_texts(ckpt.config.dataset))
    model = ckpt.model
    missing = sorted({c for doc in poems for c in model.tokenizer.unknown(doc)})
    if missing:
        raise RecipeError(
            f"this task scores {len(poems)} sealed poems written in the {TEXT_EVAL_VOCAB - 1} "
            f"most frequent characters of the training split; this model's vocabulary lacks "
            f"{len(missing)} of them (train with a vocabulary of at least {TEXT_EVAL_VOCAB})"
        )
    stream = to_stream(ckpt.config.dataset, model.tokenizer, poems, drop_unknown=False)
    return bits_per_char(model, stream, max_tokens=len(stream))["val_bits_per_char"]


def _measure_text(ckpt: Checkpoint, texts: list[str], poems: list[str]) -> dict[str, float]:
    """Bits per character of the sealed documents (sealed_bits_per_char) and the share of the
    protocol's samples that are regular poems (exact line count, characters per line and
    punctuation: genlab.text.form_of)."""
    from genlab.text import form_of

    return {
        "bits_per_char": sealed_bits_per_char(ckpt, poems),
        "form_rate": sum(form_of(t) is not None for t in texts) / max(1, len(texts)),
    }


# How each kind of task is measured (genlab/tasks.py names the kind of each task).
MEASURES: dict[str, Callable[..., dict[str, float]]] = {
    "image": _measure_images,
    "points": _measure_points,
    "text": _measure_text,
}


def sealed_split(name: str, image_size: int | None = None) -> Dataset:
    """The sealed part of a built-in data set. Only `score` calls this."""
    return load_dataset(name, image_size=image_size).heldout_parts()[1]


def sealed_texts(name: str) -> list[str]:
    """The sealed documents of a built-in text corpus. Only `evaluation_texts` calls this."""
    from genlab.text import load_corpus

    return load_corpus(name).heldout_parts()[1]


@functools.lru_cache(maxsize=2)
def evaluation_texts(name: str) -> tuple[str, ...]:
    """What a text task scores: the sealed documents a character vocabulary of TEXT_EVAL_VOCAB
    (trained on the training split, as a run's is) can encode; every sealed document for a
    corpus that is tokenised by BPE (every byte has a token)."""
    from genlab.text import CharTokenizer, auto_tokenizer, load_corpus

    sealed = sealed_texts(name)
    train, _held = load_corpus(name).split()
    if auto_tokenizer(train) != "char":
        return tuple(sealed)
    reference, _kept = CharTokenizer.train(train, TEXT_EVAL_VOCAB)
    return tuple(doc for doc in sealed if not reference.unknown(doc))


def text_protocol_recipe(ckpt: Checkpoint, protocol: Protocol) -> TextRecipe:
    """The recipe every text entry is sampled with: unconstrained samples (no prompt, no form)
    under the protocol's seed, count and sampler settings."""
    return TextRecipe(
        ckpt.sha256,
        temperature=protocol.temperature,
        top_k=protocol.top_k,
        top_p=protocol.top_p,
        seed=protocol.seed,
        length=protocol.length,
        count=protocol.count,
    )


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
    if task.kind == "text":
        from genlab.gpt import generate_texts, texts_sha256

        if sampler or steps:
            raise RecipeError("a text task samples with the protocol's settings only")
        poems = list(evaluation_texts(ckpt.config.dataset))
        text_recipe = text_protocol_recipe(ckpt, protocol)
        texts = generate_texts(text_recipe, ckpt)
        metrics = _measure_text(ckpt, texts, poems)
        return Scored({k: float(v) for k, v in metrics.items()}, texts_sha256(texts), text_recipe)
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


def regenerate_digest(ckpt: Checkpoint, recipe: Recipe | TextRecipe) -> str:
    """The protocol's samples drawn again from a (rebuilt) checkpoint, hashed as `score` does
    (texts as the site and the zoo hash them: genlab.gpt.texts_sha256)."""
    if isinstance(recipe, TextRecipe):
        from genlab.gpt import generate_texts, texts_sha256

        again = replace(recipe, checkpoint_sha256=ckpt.sha256)
        return texts_sha256(generate_texts(again, ckpt))
    rebuilt = Recipe(**{**recipe.__dict__, "checkpoint_sha256": ckpt.sha256})
    return samples_digest(ckpt, generate_tensor(rebuilt, ckpt))
