"""The training driver: one loop for every family, with callbacks, checkpoints, resume and cancel.

out_dir holds `model.safetensors` (latest good checkpoint), `state.pt` (optimizer, EMA and RNG
state for resume; written by us, read with weights_only=True), `samples/step_NNNNNN.png` and
`config.json`. A resumed run continues bit-identically to an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genlab import checkpoint as ckpt_io
from genlab._io import atomic_path, write_bytes_atomic
from genlab.config import DIFFUSION_FAMILIES, IMAGE_ONLY, TrainConfig
from genlab.data import Dataset, images_to_uint8, load_dataset
from genlab.errors import CheckpointError, ConfigError, TrainingDiverged
from genlab.family import DataSpec, Family, build_family
from genlab.images import grid, save_png, scatter

CHECKPOINT = "model.safetensors"
STATE = "state.pt"
GRID_SEED = 1234
# options a resumed run may change: they decide what is written and when, not the weights
DRIVER_OPTIONS = ("log_every", "sample_every", "checkpoint_every")


@dataclass(frozen=True)
class Progress:
    step: int  # steps done
    total: int
    losses: dict[str, float]
    images_per_s: float
    eta_s: float
    elapsed_s: float


class Callback:
    """Override what you need; the site uses these to stream progress and to cancel."""

    def on_progress(self, progress: Progress) -> None:
        return None

    def on_samples(self, step: int, path: Path) -> None:
        return None

    def on_checkpoint(self, step: int, path: Path) -> None:
        return None

    def should_cancel(self) -> bool:
        return False


@dataclass
class TrainResult:
    status: str  # "completed" or "cancelled"
    step: int
    checkpoint: Path
    sha256: str
    metrics: dict[str, float] = field(default_factory=dict)


def total_steps(model: Family) -> int:
    return model.total_steps()


def prepare(cfg: TrainConfig) -> tuple[TrainConfig, Dataset, Dataset, DataSpec]:
    """Load the data, resolve `conditional`, check the image size fits the networks. A
    fine-tune (cfg.base_model) takes the base's architecture and extends its classes
    (genlab.finetune)."""
    cfg.validate()
    if cfg.family == "gpt":
        from genlab.text import prepare_text

        if cfg.base_model:
            from genlab import finetune

            base, _ = finetune.load_base(cfg)
            cfg = finetune.finetune_config(cfg, base)
            return prepare_text(cfg, base=base.spec)  # type: ignore[return-value]
        return prepare_text(cfg)  # type: ignore[return-value]
    if cfg.base_model:
        from genlab import finetune

        base, _ = finetune.load_base(cfg)
        cfg = finetune.finetune_config(cfg, base)
        ds = finetune.load_finetune_data(cfg, base)
    else:
        ds = load_dataset(cfg.dataset, image_size=cfg.image_size)
    conditional = cfg.conditional
    if conditional is None:
        conditional = cfg.family in DIFFUSION_FAMILIES and ds.y is not None
    if conditional and ds.y is None:
        raise ConfigError(
            f"data set {cfg.dataset!r} has no labels; conditional training needs them"
        )
    cfg = replace(cfg, conditional=bool(conditional))
    if ds.kind != "image" and cfg.family in IMAGE_ONLY:
        raise ConfigError(f"{cfg.family} models images only; {cfg.dataset!r} is a 2-D point set")
    if ds.kind == "image":
        size = ds.shape[-1]
        div = 2 ** (len(cfg.mults) - 1) if cfg.family == "diffusion" else 4
        if size % div:
            raise ConfigError(f"image size {size} must be divisible by {div} for {cfg.family}")
    train_ds, _held = ds.split()
    val_ds, _sealed = ds.heldout_parts()  # the sealed part is for challenge scoring only
    if cfg.max_examples and cfg.max_examples < len(train_ds):  # the split is already shuffled
        train_ds = train_ds.subset(torch.arange(cfg.max_examples))
    return cfg, train_ds, val_ds, DataSpec.of(ds, bool(conditional))


def save_state(path: Path, model: Family, step: int, gen: torch.Generator) -> None:
    state = {
        "step": step,
        "config": model.cfg.to_json(),
        "modules": {k: m.state_dict() for k, m in model.trained_modules().items()},
        "optimizers": {k: o.state_dict() for k, o in model.optimizers().items()},
        "gen_state": gen.get_state(),
        "extra": json.dumps(model.extra_state()),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_state(path: Path) -> dict[str, Any]:
    try:
        return torch.load(path, weights_only=True)
    except Exception as exc:  # corrupt file or unexpected content
        raise CheckpointError(f"cannot resume from {path}: {exc}") from exc


def write_samples(model: Family, out: Path, step: int) -> Path:
    """Fixed-seed samples during training: a PNG grid, or for text a UTF-8 file of 8 texts."""
    if model.spec.kind == "text":
        from genlab.gpt import TextRecipe, sample_tokens

        recipe = TextRecipe("", seed=GRID_SEED, length=model.cfg.block_size - 1, count=8)
        texts = [model.tokenizer.decode(t) for t in sample_tokens(model, recipe)]  # type: ignore[attr-defined]
        model.train_mode()
        path = out / "samples" / f"step_{step:06d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, ("\n".join(texts) + "\n").encode())
        return path
    path = out / "samples" / f"step_{step:06d}.png"
    save_png(path, sample_grid(model))
    return path


def sample_grid(model: Family, n: int = 16) -> np.ndarray:
    """A fixed-seed grid (does not touch the training generator)."""
    gen = torch.Generator().manual_seed(GRID_SEED)
    k = model.num_classes
    labels = torch.arange(n) % k if k else None
    with torch.no_grad():
        x = model.generate(
            n if model.spec.kind == "image" else 1000,
            gen,
            labels if model.spec.kind == "image" else None,
            model.default_sampler(),
            50,
            0.0,
            0.0,
        )
    model.train_mode()
    if model.spec.kind == "points":
        return scatter(x)
    return grid(images_to_uint8(x), nrow=k if k and n % k == 0 else None)


def final_metrics(model: Family, val: Dataset) -> dict[str, float]:
    """Cheap metrics at the end of training: MMD for 2-D data, held-out ELBO for the VAE."""
    from genlab import metrics

    out: dict[str, float] = {}
    if model.spec.kind == "text":
        from genlab.gpt import bits_per_char, form_rate

        out.update(bits_per_char(model, val))  # type: ignore[arg-type]
        if model.forms:  # type: ignore[attr-defined]
            out.update(form_rate(model, n=100))  # type: ignore[arg-type]
    if model.spec.kind == "points":
        out["mmd2"] = metrics.points_mmd(model, val)
    if model.cfg.family == "vae":
        out["heldout_elbo_nats"] = model.heldout_elbo(val)  # type: ignore[attr-defined]
        if model.early_stopping:  # type: ignore[attr-defined]
            out["best_validation_step"] = float(model.best_step)  # type: ignore[attr-defined]
    out.update(model.final_metrics(val))
    model.train_mode()
    return out


def save_reconstructions(model: Family, val: Dataset, path: Path, n: int = 8) -> bool:
    """Autoencoding families: the first n held-out images (top row) over their reconstructions
    (bottom row) in one PNG; False when the family does not reconstruct."""
    if model.spec.kind != "image":
        return False
    x = val.x[:n]
    with torch.no_grad():
        rec = model.reconstruct(x)
    model.train_mode()
    if rec is None:
        return False
    save_png(path, grid(images_to_uint8(torch.cat([x, rec])), nrow=len(x)))
    return True


def train(
    config: TrainConfig | dict[str, Any] | None = None,
    *,
    out_dir: str | Path,
    callbacks: Sequence[Callback] = (),
    resume: bool = False,
) -> TrainResult:
    """Train (or resume) a model; returns where the final checkpoint is."""
    out = Path(out_dir)
    state_path, ckpt_path = out / STATE, out / CHECKPOINT
    state: dict[str, Any] | None = None
    if resume:
        if not state_path.is_file():
            raise CheckpointError(f"nothing to resume in {out}: {STATE} is missing")
        state = load_state(state_path)
        saved = TrainConfig.from_saved(json.loads(state["config"]))
        if config is not None:
            # a resumed run may only be extended, and may change how often it reports, samples
            # and checkpoints (driver options that do not change the weights)
            given = config if isinstance(config, TrainConfig) else TrainConfig.from_saved(config)
            saved = replace(
                saved,
                steps=max(saved.steps, given.steps),
                **{k: getattr(given, k) for k in DRIVER_OPTIONS},
            )
        cfg = saved
    else:
        if config is None:
            raise ConfigError("train() needs a config unless resume=True")
        cfg = config if isinstance(config, TrainConfig) else TrainConfig.from_dict(config)
    cfg, train_ds, val_ds, spec = prepare(cfg)

    torch.manual_seed(cfg.seed)  # network initialisation
    model = build_family(cfg, spec)
    gen = torch.Generator().manual_seed(cfg.seed + 1)  # batches and noise
    start = 0
    if cfg.base_model:
        from genlab import finetune

        if state is None:
            finetune.apply_base(model, finetune.load_base(cfg)[0])
        if cfg.freeze_early or cfg.freeze_blocks:
            finetune.freeze(model, cfg.freeze_blocks or None)
    if state is not None:
        for k, m in model.trained_modules().items():
            m.load_state_dict(state["modules"][k])
        for k, o in model.optimizers().items():
            o.load_state_dict(state["optimizers"][k])
        gen.set_state(state["gen_state"])
        model.load_extra_state(json.loads(state["extra"]))
        start = int(state["step"])
    out.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(out / "config.json", cfg.to_json().encode())

    total = total_steps(model)
    last_good: Path | None = ckpt_path if ckpt_path.is_file() else None
    sha = ""

    def checkpoint(step: int, metrics: dict[str, float] | None = None) -> str:
        nonlocal last_good
        digest = ckpt_io.save(ckpt_path, model, step, metrics)
        save_state(state_path, model, step, gen)
        last_good = ckpt_path
        for cb in callbacks:
            cb.on_checkpoint(step, ckpt_path)
        return digest

    t0 = time.perf_counter()
    done_here = 0
    step = start
    losses: dict[str, float] = {}
    model.train_mode()
    while step < total:
        if any(cb.should_cancel() for cb in callbacks):
            sha = checkpoint(step)
            return TrainResult("cancelled", step, ckpt_path, sha)
        losses = model.train_step(train_ds, gen, step)
        for name, value in losses.items():
            if not math.isfinite(value) or abs(value) > cfg.max_loss:
                where = f"kept {last_good}" if last_good else "no checkpoint was written yet"
                raise TrainingDiverged(
                    f"training stopped at step {step + 1}: {name} = {value} "
                    f"({'not finite' if not math.isfinite(value) else 'exploded'}); {where}"
                )
        step += 1
        done_here += 1
        if step % cfg.log_every == 0 or step == total:
            elapsed = time.perf_counter() - t0
            rate = done_here / elapsed if elapsed > 0 else 0.0
            p = Progress(
                step,
                total,
                losses,
                rate * cfg.batch_size,
                (total - step) / rate if rate else 0.0,
                elapsed,
            )
            for cb in callbacks:
                cb.on_progress(p)
        if cfg.sample_every and step % cfg.sample_every == 0:
            path = write_samples(model, out, step)
            for cb in callbacks:
                cb.on_samples(step, path)
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and step < total:
            checkpoint(step)
    metrics = final_metrics(model, val_ds)
    rec_path = out / "samples" / "reconstructions.png"
    if save_reconstructions(model, val_ds, rec_path):
        for cb in callbacks:
            cb.on_samples(step, rec_path)
    sha = checkpoint(step, metrics)
    return TrainResult("completed", step, ckpt_path, sha, metrics)
