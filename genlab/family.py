"""What every model family provides to the training driver, the checkpoint and the sampler."""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from genlab.config import TrainConfig
from genlab.data import Dataset


@dataclass(frozen=True)
class DataSpec:
    """What a model needs to know about its data (stored in the checkpoint)."""

    name: str
    kind: str  # "image", "points" or "text"
    shape: tuple[int, ...]
    classes: tuple[str, ...]
    # text only: {"tokenizer": its JSON, "forms": {poem form: training documents}, ...}
    text: dict[str, Any] | None = None

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "shape": list(self.shape),
            "classes": list(self.classes),
        }
        if self.text is not None:
            d["text"] = self.text
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DataSpec:
        return cls(d["name"], d["kind"], tuple(d["shape"]), tuple(d["classes"]), d.get("text"))

    @classmethod
    def of(cls, ds: Dataset, conditional: bool) -> DataSpec:
        return cls(ds.name, ds.kind, ds.shape, ds.classes if conditional else ())


class EMA:
    """Exponential moving average of weights, decay warmed up as min(decay, (1+n)/(10+n))."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.shadow = copy.deepcopy(model).eval().requires_grad_(False)
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for s, p in zip(self.shadow.parameters(), model.parameters(), strict=True):
            s.lerp_(p.detach(), 1 - d)
        for s, b in zip(self.shadow.buffers(), model.buffers(), strict=True):
            s.copy_(b)


class Family(ABC):
    """A trainable generative model: networks, optimizers, one training step, a sampler."""

    name: str = ""

    def __init__(self, cfg: TrainConfig, spec: DataSpec) -> None:
        self.cfg = cfg
        self.spec = spec

    @property
    def num_classes(self) -> int:
        return self.spec.num_classes

    @abstractmethod
    def trained_modules(self) -> dict[str, nn.Module]:
        """Networks updated by the optimizers (saved for resume)."""

    @abstractmethod
    def sampling_modules(self) -> dict[str, nn.Module]:
        """Networks a sampler needs (EMA copies where used); these go in the checkpoint."""

    @abstractmethod
    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    @abstractmethod
    def train_step(self, data: Dataset, gen: torch.Generator, step: int) -> dict[str, float]:
        """One update; `step` counts from 0. Returns scalar losses."""

    @abstractmethod
    def generate(
        self,
        n: int,
        gen: torch.Generator,
        labels: torch.Tensor | None,
        sampler: str,
        steps: int,
        eta: float,
        guidance: float,
        clip_sample: bool = False,
        variance: str = "beta",
    ) -> torch.Tensor:
        """Samples in data space ([-1, 1] images or 2-D points). clip_sample: DDIM on images only
        (sample.check_recipe refuses it elsewhere); variance: the DDPM sampler's sigma_t^2."""

    def total_steps(self) -> int:
        """Steps of the whole run (two-stage families add their first stage's vae_steps)."""
        return self.cfg.steps

    def final_metrics(self, val: Dataset) -> dict[str, float]:
        """Family-specific metrics at the end of training (the driver adds the common ones)."""
        return {}

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor | None:
        """Autoencoding families: x (data space) through the first stage; None otherwise."""
        return None

    def extra_state(self) -> dict[str, Any]:
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        return None

    def default_sampler(self) -> str:
        return "direct"

    def samplers(self) -> tuple[str, ...]:
        return ("direct",)

    def batch(
        self, data: Dataset, gen: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        idx = torch.randint(0, len(data), (self.cfg.batch_size,), generator=gen)
        y = data.y[idx] if (data.y is not None and self.num_classes) else None
        return data.x[idx], y

    def set_lr(self, opt: torch.optim.Optimizer, step: int) -> None:
        """Linear warm-up over cfg.warmup steps (DDPM training uses a warm-up)."""
        scale = min(1.0, (step + 1) / self.cfg.warmup) if self.cfg.warmup else 1.0
        for group in opt.param_groups:
            group["lr"] = self.cfg.lr * scale

    def early_modules(self) -> list[nn.Module]:
        """The first layers, frozen by freeze_early when fine-tuning (none by default)."""
        return []

    def freeze_stages(self) -> list[list[nn.Module]]:
        """The network's blocks from its input on, each a list of modules: freeze_blocks N
        freezes the first N (none by default; genlab.config.freezable_blocks counts them)."""
        return []

    @property
    def finetuning(self) -> bool:
        return bool(self.cfg.base_model)

    def eval_mode(self) -> None:
        for m in self.sampling_modules().values():
            m.eval()

    def train_mode(self) -> None:
        for m in self.trained_modules().values():
            m.train()


def build_family(cfg: TrainConfig, spec: DataSpec) -> Family:
    if cfg.family == "gan":
        from genlab.gan import GANFamily

        return GANFamily(cfg, spec)
    if cfg.family == "vae":
        from genlab.vae import VAEFamily

        return VAEFamily(cfg, spec)
    if cfg.family == "gpt":
        from genlab.gpt import GPTFamily

        return GPTFamily(cfg, spec)
    if cfg.family == "diffusion":
        from genlab.diffusion_family import DiffusionFamily

        return DiffusionFamily(cfg, spec)
    if cfg.family == "latent-unet":
        from genlab.latent_unet import LatentUNetFamily

        return LatentUNetFamily(cfg, spec)
    if cfg.family == "vqvae":
        from genlab.vqvae import VQVAEFamily

        return VQVAEFamily(cfg, spec)
    if cfg.family == "stylegan":
        from genlab.stylegan import StyleGANFamily

        return StyleGANFamily(cfg, spec)
    from genlab.latent import LatentFamily

    return LatentFamily(cfg, spec)
