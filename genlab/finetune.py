"""Fine-tuning: start a run from a published model (a zoo name or a checkpoint path).

- Same family, compatible shapes: the base's architecture options (channels, depth, latent
  size, noise schedule, conditioning) are taken over; a data set of another image shape is refused
  with a message naming both shapes (folders and zips are resized to the base's size, as they
  always are resized).
- Classes: the base's classes keep their indices and embedding rows; the data set's classes the
  base does not know are appended, their rows starting from the base's "null" (unconditional)
  row for diffusion and from the mean of the known rows for a GAN. A data set without labels on
  a class-conditional base is one new class named after the data set.
- The learning rate warms up linearly from 0 at the base's weights (``warmup`` steps, 10 % of
  the run up to 100 steps unless given); ``freeze_early`` freezes the first layers
  (Family.early_modules), ``freeze_blocks`` N the first N blocks (Family.freeze_stages: a UNet's
  resolution levels, an MLP's blocks, the latent model's autoencoder then its noise predictor's
  blocks, a VAE's encoder layers, a generator's layers); more than the model has is refused.
- Text (gpt): the context, width, depth and heads are the base's (an explicit other value is
  refused); the tokenizer is the base's, and a character vocabulary gains the new data's
  characters it lacks as new rows of the token embedding (the tied output layer grows with it),
  starting from the mean of the known rows; freeze_early freezes the embeddings' known rows, the
  position embedding and the first half of the blocks, freeze_blocks N the embeddings and the
  first N blocks (GPTFamily.freeze_early_layers).
- Lineage: the config records ``base_model`` and the SHA-256 of the base's weights
  (``base_sha256``); a rerun (or resume) with other weights under that name is refused, so a
  fine-tune reproduces like any run.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from genlab.config import TrainConfig
from genlab.data import Dataset, load_dataset
from genlab.errors import ConfigError

if TYPE_CHECKING:
    from genlab.checkpoint import Checkpoint
    from genlab.family import Family

# Options that define the networks and the process the base's weights belong to.
ARCHITECTURE = (
    "conditional",
    "T",
    "schedule",
    "schedule_version",
    "prediction",  # a v-model's weights predict v: a fine-tune keeps what its base predicts
    "base",
    "mults",
    "attention",
    "hidden",
    "width",
    "z_dim",
    "likelihood",
    "loss",
)
# base sampling module -> the trained modules that start from it
TARGETS: dict[str, dict[str, tuple[str, ...]]] = {
    "diffusion": {"eps_theta": ("eps_theta", "ema")},
    "latent": {"vae": ("vae",), "eps_theta": ("eps_theta", "ema"), "scale": ("scale",)},
    "vae": {"vae": ("vae", "best")},
    "gan": {"G": ("G",)},
    "gpt": {"gpt": ("gpt",)},
}
# gpt: the options whose values the base's tensors have (a fine-tune keeps them)
GPT_ARCHITECTURE = ("n_layer", "n_head", "n_embd", "block_size")
GPT_OPTION_NAMES = {
    "block_size": "context (block_size)",
    "n_embd": "width (n_embd)",
    "n_layer": "depth (n_layer)",
    "n_head": "heads (n_head)",
}


def base_config(name_or_path: str) -> dict:
    """The training config stored in a base model's checkpoint header (weights not loaded)."""
    import json

    from genlab.checkpoint import read_header
    from genlab.zoo import resolve_base

    path = resolve_base(name_or_path)
    raw = path.read_bytes()
    try:
        meta = json.loads(read_header(raw, path.name)["__metadata__"]["genlab"])
        return dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path.name} is not a genlab checkpoint: {exc}") from exc


def base_architecture(name_or_path: str) -> dict:
    """A gpt base's shape options, the defaults of a fine-tune's config (genlab.config)."""
    config = base_config(name_or_path)
    if config.get("family") != "gpt":
        return {}
    return {k: config[k] for k in (*GPT_ARCHITECTURE, "tokenizer") if k in config}


def load_base(cfg: TrainConfig) -> tuple[Checkpoint, Path]:
    """The base checkpoint of a fine-tuning config, its hash checked against base_sha256."""
    from genlab.checkpoint import load
    from genlab.zoo import resolve_base

    path = resolve_base(cfg.base_model)
    base = load(path)
    if cfg.base_sha256 and base.sha256 != cfg.base_sha256:
        raise ConfigError(
            f"base model {cfg.base_model!r} has weights {base.sha256[:12]}, but this run was "
            f"made from {cfg.base_sha256[:12]}; it would not reproduce"
        )
    if base.family != cfg.family:
        raise ConfigError(
            f"base model {cfg.base_model!r} is a {base.family} model; it cannot start a "
            f"{cfg.family} run"
        )
    return base, path


def finetune_config(cfg: TrainConfig, base: Checkpoint) -> TrainConfig:
    """cfg with the base's architecture, the base's hash and a warm-up."""
    if cfg.family == "gpt":
        return _gpt_finetune_config(cfg, base)
    arch = {k: getattr(base.config, k) for k in ARCHITECTURE}
    warmup = cfg.warmup or min(100, max(1, cfg.steps // 10))
    if cfg.freeze_blocks:
        check_freeze_blocks(base.model, cfg.freeze_blocks)
    # a frozen autoencoder (freeze_early, or the first block) is not trained
    frozen_vae = cfg.freeze_early or cfg.freeze_blocks >= 1
    vae_steps = 0 if cfg.family == "latent" and frozen_vae else cfg.vae_steps
    out = replace(cfg, **arch, base_sha256=base.sha256, warmup=warmup, vae_steps=vae_steps)
    out.validate()
    return out


def _gpt_finetune_config(cfg: TrainConfig, base: Checkpoint) -> TrainConfig:
    """A text fine-tune keeps the base's context, width, depth and heads; a config that asks
    for others is refused by name (genlab.config.resolve_config takes them from the base)."""
    for name in GPT_ARCHITECTURE:
        ours, theirs = getattr(cfg, name), getattr(base.config, name)
        if ours != theirs:
            raise ConfigError(
                f"base model {cfg.base_model!r} has a {GPT_OPTION_NAMES[name]} of {theirs}; "
                f"this run asks for {ours}, and a fine-tune keeps its base's shape"
            )
    if cfg.freeze_blocks:
        check_freeze_blocks(base.model, cfg.freeze_blocks)
    warmup = cfg.warmup or min(100, max(1, cfg.steps // 10))
    out = replace(cfg, tokenizer=base.config.tokenizer, base_sha256=base.sha256, warmup=warmup)
    out.validate()
    return out


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)


def load_finetune_data(cfg: TrainConfig, base: Checkpoint) -> Dataset:
    """The data set at the base's image size (folders/zips), with labels mapped onto the base's
    classes plus the new ones."""
    spec = base.spec
    path = Path(cfg.dataset)
    is_files = path.is_dir() or path.is_file()
    size = cfg.image_size
    if size is None and is_files and spec.kind == "image":
        size = spec.shape[-1]
    ds = load_dataset(cfg.dataset, image_size=size)
    if ds.kind != spec.kind or ds.shape != spec.shape:
        what = "images" if spec.kind == "image" else "points"
        raise ConfigError(
            f"base model expects {_shape(spec.shape)} {what}, data set {Path(cfg.dataset).name!r} "
            f"has {_shape(ds.shape)} {'images' if ds.kind == 'image' else 'points'}"
        )
    if not base.config.conditional:
        return replace(ds, y=None, classes=())
    if ds.y is None:  # one new class, named after the data set
        name = path.stem if is_files else cfg.dataset
        classes = (*spec.classes, name) if name not in spec.classes else spec.classes
        y = torch.full((len(ds),), classes.index(name), dtype=torch.long)
        return replace(ds, y=y, classes=classes)
    new = [c for c in ds.classes if c not in spec.classes]
    classes = (*spec.classes, *new)
    index = torch.tensor([classes.index(c) for c in ds.classes], dtype=torch.long)
    return replace(ds, y=index[ds.y], classes=classes)


@torch.no_grad()
def apply_base(model: Family, base: Checkpoint) -> None:
    """Copy the base's weights into a freshly built model; class embeddings are extended."""
    trained = model.trained_modules()
    v_old = _vocab_size(base)
    k_old, k_new = base.spec.num_classes, model.spec.num_classes
    for prefix, source in base.model.sampling_modules().items():
        for target_name in TARGETS[base.family].get(prefix, ()):
            if target_name not in trained:
                continue
            target = trained[target_name]
            own = target.state_dict()
            for key, value in source.state_dict().items():
                dest = own[key]
                if dest.shape == value.shape:
                    dest.copy_(value)
                elif key.endswith("label.table.weight"):  # LabelEmbedding: K rows + null row
                    dest[:k_old] = value[:k_old]
                    dest[k_old:] = value[k_old]  # new classes and null row start unconditional
                elif key.endswith("label.weight"):  # a GAN's plain class embedding
                    dest[:k_old] = value
                    dest[k_old:] = value.mean(0)
                elif key == "transformer.wte.weight" and dest.shape[0] > v_old:
                    # new characters (the tied output layer is this matrix too): the known rows
                    # keep their weights, new ones start from their mean (Hewitt 2021)
                    dest[:v_old] = value
                    dest[v_old:] = value.mean(0)
                else:
                    raise ConfigError(
                        f"base model tensor {prefix}.{key} has shape {tuple(value.shape)}, the "
                        f"new model needs {tuple(dest.shape)}"
                    )
    if k_new < k_old:  # pragma: no cover - the classes are a superset by construction
        raise ConfigError("a fine-tune cannot drop the base model's classes")


def _vocab_size(base: Checkpoint) -> int:
    tokenizer = getattr(base.model, "tokenizer", None)
    return int(tokenizer.vocab_size) if tokenizer is not None else 0


def check_freeze_blocks(model: Family, blocks: int) -> None:
    """Refuse to freeze more blocks than the model has."""
    available = len(model.freeze_stages())
    if blocks > available:
        raise ConfigError(
            f"a {model.name} fine-tune can freeze at most {available} blocks of this model; "
            f"this run asks for {blocks}"
        )


def freeze(model: Family, blocks: int | None = None) -> int:
    """Freeze Family.early_modules (freeze_early), or the first `blocks` of
    Family.freeze_stages (freeze_blocks); returns the number of frozen parameters."""
    if blocks is not None:
        check_freeze_blocks(model, blocks)
    custom = getattr(model, "freeze_early_layers", None)
    if custom is not None:  # a family that freezes part of a tensor (gpt's known tokens)
        return int(custom(blocks))
    modules = (
        model.early_modules()
        if blocks is None
        else [m for stage in model.freeze_stages()[:blocks] for m in stage]
    )
    n = 0
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(False)
            n += p.numel()
    return n


def count_trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
