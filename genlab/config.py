"""Training configuration: one flat dataclass, presets per family and data kind, JSON round trip."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from genlab.errors import ConfigError

FAMILIES = ("gan", "vae", "diffusion", "latent", "gpt", "latent-unet", "vqvae", "stylegan")
# Families sampled by DDPM/DDIM; they are class-conditional by default when the data has labels.
DIFFUSION_FAMILIES = ("diffusion", "latent", "latent-unet")
# Families trained in two stages: `vae_steps` of the autoencoder first, then `steps` of the
# second stage (the latent denoiser, or the VQ-VAE's prior over codes).
TWO_STAGE_FAMILIES = ("latent", "latent-unet", "vqvae")
IMAGE_ONLY = ("latent-unet", "vqvae", "stylegan")
# Options only these families use; written to a config's JSON only for them, so the configs
# (and checkpoint hashes) of the other families stay what they were.
FAMILY_OPTIONS: dict[str, tuple[str, ...]] = {
    "latent-unet": ("z_channels", "kl_weight"),
    "vqvae": ("z_channels", "codebook_size", "commitment", "prior_layers"),
    "stylegan": ("r1_gamma", "mixing", "w_dim"),
}
FAMILY_OPTIONS_ALL = tuple(dict.fromkeys(n for opts in FAMILY_OPTIONS.values() for n in opts))
# Aliases map to a canonical family plus fixed options.
ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "cgan": ("gan", {"conditional": True}),
    "wgan-gp": ("gan", {"loss": "wgan-gp"}),
    "wgan": ("gan", {"loss": "wgan"}),
    "beta-vae": ("vae", {"beta": 4.0}),
    "ddpm": ("diffusion", {}),
    "ldm": ("latent", {}),
}
PRESETS = ("quick", "quality")
GAN_LOSSES = ("minimax", "nonsaturating", "wgan-gp", "wgan")
# What a GAN loss brings with it unless given explicitly: WGAN-GP's critic steps and Adam lr
# (Gulrajani et al. 2017, algorithm 1: n_critic 5, alpha 1e-4); WGAN's critic steps and RMSProp
# lr (Arjovsky et al. 2017, algorithm 1: n_critic 5, alpha 5e-5, clipping c = 0.01).
LOSS_OPTIONS: dict[str, dict[str, Any]] = {
    "wgan-gp": {"k_disc": 5, "lr": 1e-4},
    "wgan": {"k_disc": 5, "lr": 5e-5},
}
SCHEDULE_VERSIONS = (1, 2)
# What a diffusion network predicts: the noise (DDPM's eps) or v = sqrt(ab) eps - sqrt(1-ab) x_0
# (Salimans & Ho 2022); genlab.diffusion.v_loss
PREDICTIONS = ("eps", "v")
FINETUNE_OPTIONS = ("base_model", "base_sha256", "freeze_early", "freeze_blocks", "max_examples")

# Sampler defaults per family, chosen from measured grids (docs/benchmarks.md, "genlab: sampler
# defaults and evaluation"): on conditional diffusion (mnist5k, DDIM-50) eta 1 gave the lowest
# FD at every guidance, and w = 0.5 reaches ~98 % class accuracy at about the FD of w = 0, while
# w = 2 (the former site default) multiplies the FD and eta 0 (the former CLI default) is worst.
# Read by the CLI, `evaluate`, the site's generate form and the lab's model cards
# (genlab.sample.sampler_defaults); this module imports no torch, so the site may read it.
SAMPLER_DEFAULTS: dict[str, dict[str, Any]] = {
    "diffusion": {"sampler": "ddim", "steps": 50, "eta": 1.0, "guidance": 0.5},
    # the vector-latent LDM, measured on its own (zoo mnist5k-latent, n = 1,000): eta 0 w 0.5 had
    # the lowest FD (0.16, 97.2 %), eta 1 w 0.5 0.19 with 99.3 % accuracy, within each other's
    # bootstrap intervals; the same defaults as pixel diffusion were kept
    "latent": {"sampler": "ddim", "steps": 50, "eta": 1.0, "guidance": 0.5},
    "gan": {"sampler": "direct", "steps": 50, "eta": 0.0, "guidance": 0.0},
    "vae": {"sampler": "direct", "steps": 50, "eta": 0.0, "guidance": 0.0},
    # the spatial-latent LDM: its own grid (DDIM-50, n = 1,000, quick preset at 90 % accuracy)
    # was lowest in FD at eta 1, w 2 (0.56, 97.9 %; w 0.5: 0.81, 93.3 %) — unlike pixel
    # diffusion, guidance 2 does not overshoot there (docs/benchmarks.md, "Sampler defaults for
    # latent-unet")
    "latent-unet": {"sampler": "ddim", "steps": 50, "eta": 1.0, "guidance": 2.0},
    "vqvae": {"sampler": "direct", "steps": 50, "eta": 0.0, "guidance": 0.0},
    "stylegan": {"sampler": "direct", "steps": 50, "eta": 0.0, "guidance": 0.0},
    "gpt": {"sampler": "direct", "steps": 50, "eta": 0.0, "guidance": 0.0},
}
TOKENIZERS = ("auto", "char", "bpe")
GPT_OPTIONS = (
    "n_layer",
    "n_head",
    "n_embd",
    "block_size",
    "weight_decay",
    "beta2",
    "min_lr_ratio",
    "tokenizer",
    "vocab_size",
    "align_documents",
)


@dataclass
class TrainConfig:
    family: str
    dataset: str
    preset: str = "quick"
    seed: int = 0
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    warmup: int = 0
    grad_clip: float = 0.0
    conditional: bool | None = None  # None: labels are used by diffusion/latent when present
    image_size: int | None = None
    # GAN
    loss: str = "nonsaturating"
    k_disc: int = 1
    gp_lambda: float = 10.0
    clip_value: float = 0.01  # WGAN: critic weights clipped to [-c, c] after every update
    z_dim: int = 8
    # VAE
    beta: float = 1.0
    likelihood: str = "auto"
    # early stopping: every `val_every` steps the ELBO on a validation part (`val_fraction`) of
    # the training split is measured and the best weights are the ones saved (0: off). The
    # held-out split is never used for it.
    val_every: int = 0
    val_fraction: float = 0.1
    shift_px: int = 0  # random shifts of up to this many pixels of each training image
    # diffusion / latent diffusion
    schedule: str = "linear"
    T: int = 1000
    # 1: linear betas 1e-4..0.02 whatever T (before 2026-12); 2: the range scaled by 1000 / T as
    # improved-DDPM does, so alpha_bar_T ~ 4e-5 for every T. Checkpoints whose config has no
    # schedule_version were made with 1 (TrainConfig.from_saved), and keep drawing the same images.
    schedule_version: int = 2
    p_uncond: float = 0.1
    # "eps" or "v" (PREDICTIONS); written to JSON only when "v", so every earlier config keeps
    # its JSON and hash. resolve_config picks "v" for pixel diffusion on colour and member data
    prediction: str = "eps"
    ema_decay: float = 0.999
    base: int = 32
    mults: list[int] = field(default_factory=lambda: [1, 2, 2])
    attention: bool = True
    hidden: int = 128
    width: int = 32
    vae_steps: int = 0
    # latent-unet (Rombach et al. 2022): latent channels of the spatial autoencoder (its latent
    # is z_channels x size/4 x size/4) and the weight of its KL term (LDM's "KL-reg", ~1e-6)
    z_channels: int = 4
    kl_weight: float = 1e-6
    # vqvae (van den Oord et al. 2017): K codes of dimension z_channels; the commitment weight
    # beta of eq. 3 (0.25 in the paper); the PixelCNN prior's width and masked layers
    codebook_size: int = 64
    commitment: float = 0.25
    prior_layers: int = 6
    # stylegan: R1 penalty gamma/2 E||grad D(x)||^2 on real images (0: off), the probability of
    # style mixing regularisation, and the dimension of w (the mapping network's output)
    r1_gamma: float = 1.0
    mixing: float = 0.9
    w_dim: int = 64
    # gpt (GPT-2's names): layers, heads, width, context; AdamW weight decay and beta2; cosine
    # decay to lr * min_lr_ratio; tokenizer "auto" resolves to "char" for Chinese text, "bpe"
    # otherwise (genlab.text); vocab_size caps the characters or sets the BPE vocabulary
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 72
    weight_decay: float = 0.1
    beta2: float = 0.99
    min_lr_ratio: float = 0.1
    tokenizer: str = "auto"
    vocab_size: int = 3000
    # windows start at a document (a poem starts at position 0, so the learned positions tell
    # the line and column) instead of anywhere in the stream (nanoGPT)
    align_documents: bool = True
    # fine-tuning (genlab.finetune): the base model, a zoo name or a checkpoint path, and the
    # SHA-256 of its weights (filled in when the run starts, so the run's lineage is known and a
    # rerun refuses other weights); freeze_early freezes the network's first layers (each
    # family's early_modules), freeze_blocks the first N blocks (Family.freeze_stages; gpt: the
    # first N transformer blocks and the embeddings). Written to JSON only when set, so configs
    # made before fine-tuning (or before freeze_blocks) keep their JSON and hashes.
    base_model: str = ""
    base_sha256: str = ""
    freeze_early: bool = False
    freeze_blocks: int = 0
    # train on the first max_examples images/points of the training split only (0: all), e.g.
    # "200 images of a new class" when measuring a fine-tune; written to JSON only when set
    max_examples: int = 0
    # driver
    log_every: int = 10
    sample_every: int = 0
    checkpoint_every: int = 0
    max_loss: float = 1e6

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        if self.family != "gpt":  # image configs keep the JSON (and hashes) they had before
            for name in GPT_OPTIONS:
                del d[name]
        for key in FINETUNE_OPTIONS:
            if not d[key]:
                del d[key]
        if d["prediction"] == "eps":
            del d["prediction"]
        for name in FAMILY_OPTIONS_ALL:  # likewise the options of latent-unet, vqvae, stylegan
            if name not in FAMILY_OPTIONS.get(self.family, ()):
                del d[name]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_saved(cls, d: dict[str, Any]) -> TrainConfig:
        """A config stored in a checkpoint or resume state: options added later take the value
        that reproduces what the file was made with."""
        return cls.from_dict({"schedule_version": 1, **d})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ConfigError(f"unknown config option(s): {', '.join(unknown)}")
        cfg = cls(**d)
        cfg.validate()
        return cfg

    def validate(self) -> None:
        if self.family not in FAMILIES:
            raise ConfigError(f"unknown family {self.family!r}; use one of {_families()}")
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r}; use 'quick' or 'quality'")
        if self.loss not in GAN_LOSSES:
            raise ConfigError(f"unknown GAN loss {self.loss!r}; use one of {', '.join(GAN_LOSSES)}")
        if self.likelihood not in ("auto", "bernoulli", "gaussian"):
            raise ConfigError(f"unknown likelihood {self.likelihood!r}")
        if self.tokenizer not in TOKENIZERS:
            raise ConfigError(f"unknown tokenizer {self.tokenizer!r}; use auto, char or bpe")
        if self.n_embd % max(1, self.n_head):
            raise ConfigError(f"n_embd {self.n_embd} must be divisible by n_head {self.n_head}")
        if not 8 <= self.block_size <= 4096:
            raise ConfigError(f"block_size must be between 8 and 4096, got {self.block_size}")
        if not 260 <= self.vocab_size <= 65536 and self.family == "gpt":
            raise ConfigError(f"vocab_size must be between 260 and 65536, got {self.vocab_size}")
        if self.weight_decay < 0 or not 0 <= self.min_lr_ratio <= 1 or not 0 < self.beta2 < 1:
            raise ConfigError("weight_decay >= 0, min_lr_ratio in [0, 1] and beta2 in (0, 1)")
        for name in ("n_layer", "n_head", "n_embd"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in (
            "steps",
            "batch_size",
            "T",
            "k_disc",
            "z_dim",
            "base",
            "hidden",
            "width",
            "z_channels",
            "codebook_size",
            "prior_layers",
            "w_dim",
        ):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.clip_value <= 0:
            raise ConfigError(f"clip_value must be positive, got {self.clip_value}")
        if self.prediction not in PREDICTIONS:
            raise ConfigError(f"unknown prediction {self.prediction!r}; use 'eps' or 'v'")
        if self.prediction == "v" and self.family not in DIFFUSION_FAMILIES:
            raise ConfigError(f"prediction applies to diffusion families, not {self.family}")
        if self.schedule_version not in SCHEDULE_VERSIONS:
            raise ConfigError(f"schedule_version must be 1 or 2, got {self.schedule_version}")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        if self.val_every < 0 or self.shift_px < 0 or self.max_examples < 0:
            raise ConfigError("val_every, shift_px and max_examples must be >= 0")
        if not 0 <= self.p_uncond < 1:
            raise ConfigError(f"p_uncond must be in [0, 1), got {self.p_uncond}")
        if self.kl_weight < 0 or self.commitment < 0 or self.r1_gamma < 0:
            raise ConfigError("kl_weight, commitment and r1_gamma must be >= 0")
        if not 0 <= self.mixing <= 1:
            raise ConfigError(f"mixing must be in [0, 1], got {self.mixing}")
        if self.lr <= 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        if not isinstance(self.freeze_early, bool):
            raise ConfigError(f"freeze_early must be true or false, got {self.freeze_early!r}")
        if self.freeze_early and not self.base_model:
            raise ConfigError("freeze_early needs a base model to fine-tune (--base)")
        if isinstance(self.freeze_blocks, bool) or not isinstance(self.freeze_blocks, int):
            raise ConfigError(f"freeze_blocks must be a whole number, got {self.freeze_blocks!r}")
        if self.freeze_blocks < 0:
            raise ConfigError(f"freeze_blocks must be >= 0, got {self.freeze_blocks}")
        if self.freeze_blocks and not self.base_model:
            raise ConfigError("freeze_blocks needs a base model to fine-tune (--base)")
        if self.freeze_blocks and self.freeze_early:
            raise ConfigError("give freeze_early or freeze_blocks, not both")


def freezable_blocks(family: str, options: dict[str, Any], image: bool) -> int:
    """How many blocks a fine-tune of this model may freeze (freeze_blocks), read from its
    config alone (the site asks before any network is built); the same count as
    len(Family.freeze_stages()), which genlab/tests/test_finetune.py checks per family."""
    if family == "gpt":
        return int(options.get("n_layer", 0))
    if family == "diffusion":  # UNet: one per resolution level; EpsMLP: its 3 blocks
        return len(options.get("mults") or ()) if image else 3
    if family == "latent":  # the autoencoder, then the latent EpsMLP's 3 blocks
        return 4
    if family == "vae":  # the encoder's layers with weights (conv, conv, linear, linear / 3 linear)
        return 4 if image else 3
    if family == "gan":  # the generator's layers (projection, up-conv, up-conv / 4 linear)
        return 3 if image else 4
    return 0


def early_blocks(family: str, options: dict[str, Any], image: bool) -> int:
    """The freeze_blocks that freezes what freeze_early does (Family.early_modules): the site
    offers it when a run made with freeze_early is forked. gpt: the first half of the blocks
    (with one block, freeze_early froze the embeddings alone, which no count says)."""
    if family == "gpt":
        return int(options.get("n_layer", 0)) // 2
    if family == "vae":
        return 2 if image else 1
    return 1 if freezable_blocks(family, options, image) else 0


def _families() -> str:
    return ", ".join([*FAMILIES, *ALIASES])


def preset_options(family: str, kind: str, size: int, preset: str) -> dict[str, Any]:
    """Defaults per family and data kind ('points' or 'image'); 'quality' trains longer."""
    long = preset == "quality"
    if kind == "points" and family in IMAGE_ONLY:
        raise ConfigError(f"{family} models images only; 2-D point sets are not supported")
    if family == "gpt" or kind == "text":
        return gpt_preset(preset)
    if kind == "points":
        opts: dict[str, Any] = {
            "gan": {"steps": 3000, "batch_size": 128, "lr": 1e-3, "z_dim": 8, "hidden": 128},
            "vae": {"steps": 3000, "batch_size": 256, "lr": 1e-3, "z_dim": 2, "hidden": 128},
            "diffusion": {"steps": 3000, "batch_size": 256, "lr": 1e-3, "hidden": 128, "T": 1000},
            "latent": {
                "steps": 3000,
                "vae_steps": 2000,
                "batch_size": 256,
                "lr": 1e-3,
                "z_dim": 2,
                "hidden": 128,
            },
        }[family]
        if long:
            opts["steps"] *= 5
        return opts
    small = size <= 16
    opts = {
        "gan": {"steps": 3000, "batch_size": 64, "lr": 2e-4, "z_dim": 64, "width": 32},
        "vae": {"steps": 3000, "batch_size": 128, "lr": 1e-3, "z_dim": 16, "width": 32},
        "diffusion": {
            "steps": 1500,
            "batch_size": 64,
            "lr": 1e-3,
            "warmup": 100,
            "grad_clip": 1.0,
            "base": 32,
            "mults": [1, 2] if small else [1, 2, 2],
        },
        "latent": {
            "steps": 4000,
            "vae_steps": 3000,
            "batch_size": 128,
            "lr": 1e-3,
            "warmup": 100,
            "z_dim": 16,
            "hidden": 256,
            "width": 32,
        },
        # LDM: a 4 x s/4 x s/4 KL-reg latent (f = 4), then the UNet with 32 channels at 7x7
        # and 64 at 4x4 (attention there): 0.10 CPU-s per step at batch 64 against 0.37 for
        # the pixel UNet at batch 32 (one thread); docs/genlab.md#latent-unet
        "latent-unet": {
            "steps": 4000,
            "vae_steps": 1000,
            "batch_size": 64,
            "lr": 1e-3,
            "warmup": 100,
            "grad_clip": 1.0,
            "z_channels": 4,
            "kl_weight": 1e-6,
            "width": 32,
            "base": 32,
            "mults": [1, 2],
        },
        # VQ-VAE: 64 codes of dimension 16 on a 7x7 grid, beta 0.25; a 64-wide PixelCNN prior
        "vqvae": {
            "steps": 2000,
            "vae_steps": 2000,
            "batch_size": 64,
            "lr": 1e-3,
            "z_channels": 16,
            "codebook_size": 64,
            "commitment": 0.25,
            "width": 32,
            "hidden": 64,
            "prior_layers": 6,
        },
        "stylegan": {
            "steps": 3000,
            "batch_size": 32,
            "lr": 2e-3,
            "z_dim": 64,
            "w_dim": 64,
            "width": 16,
            "r1_gamma": 1.0,
            "mixing": 0.9,
        },
    }[family]
    if long:
        opts["steps"] = {
            "gan": 10000,
            "vae": 10000,
            "diffusion": 20000,
            "latent": 15000,
            "latent-unet": 12000,
            "vqvae": 8000,
            "stylegan": 10000,
        }[family]
        if family in ("latent-unet", "vqvae"):
            opts["vae_steps"] = 5000
        if family == "diffusion" and not small:
            # Measured on mnist5k at batch 64, one thread (docs/benchmarks.md, "the quality
            # preset's diffusion model on mnist5k"): classifier FD flat at 0.17-0.18 from step
            # 3,000 to 8,000, class accuracy 99.5 % -> 99.8 %; a step costs 0.75-1.0 CPU-s, so
            # 20,000 steps (4-5 CPU-hours) buy nothing the evaluation can measure. 8,000 steps
            # (~2 CPU-hours) is the zoo's mnist5k-diffusion recipe.
            opts["steps"] = 8000
        if family == "vae":
            # 10,000 steps overfit 4,000 digits (the quick preset's held-out IWAE NLL is 93.3
            # nats against 86.7 on its training images): keep the weights with the best ELBO on
            # a validation cut of the training split, and shift each image by up to 1 px;
            # docs/benchmarks.md, "genlab: the quality VAE's held-out likelihood"
            opts.update({"val_every": 250, "shift_px": 1})
    elif family == "diffusion" and not small:
        # quick: batch 32 for twice the steps (same images seen). Measured on mnist5k, one thread,
        # side by side: 90 % guided accuracy after 5.6 CPU-min (step 2,000) against 6.7-7.9
        # CPU-min for batch 64 (88 % at step 1,200, 95 % at 1,400); docs/genlab.md#presets
        opts.update({"batch_size": 32, "steps": 3000})
    return opts


def gpt_preset(preset: str) -> dict[str, Any]:
    """quick: the poem model of docs/genlab.md#gpt (about 5 CPU-minutes on one thread)."""
    opts: dict[str, Any] = {
        "steps": 1000,
        "batch_size": 32,
        "lr": 3e-3,
        "warmup": 50,
        "grad_clip": 1.0,
        "n_layer": 4,
        "n_head": 4,
        "n_embd": 128,
        "block_size": 72,
        "weight_decay": 0.1,
        "beta2": 0.99,
    }
    if preset == "quality":
        opts.update({"steps": 10000, "n_layer": 6, "n_head": 6, "n_embd": 192, "lr": 1e-3})
    return opts


def resolve_config(
    family: str,
    dataset: str,
    preset: str = "quick",
    kind: str | None = None,
    size: int | None = None,
    **overrides: Any,
) -> TrainConfig:
    """Family (or alias) + data set + preset + explicit overrides -> a validated TrainConfig.
    The presets depend on the image size: `size`, else an `image_size` override, else the data
    set's own (genlab.data.native_image_size), so the CLI and the site resolve alike."""
    fixed: dict[str, Any] = {}
    if family in ALIASES:
        family, fixed = ALIASES[family]
    if family not in FAMILIES:
        raise ConfigError(f"unknown family {family!r}; use one of {_families()}")
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; use 'quick' or 'quality'")
    from genlab.data import TOYS, native_image_size

    if kind is None:
        kind = "text" if family == "gpt" else "points" if dataset in TOYS else "image"
    if size is None:
        size = overrides.get("image_size") or native_image_size(dataset)
    d: dict[str, Any] = {"family": family, "dataset": dataset, "preset": preset}
    d.update(preset_options(family, kind, size, preset))
    d.update(fixed)
    given = {k: v for k, v in overrides.items() if v is not None}
    if family == "gpt" and given.get("base_model"):
        from genlab.finetune import base_architecture

        d.update(base_architecture(given["base_model"]))  # a fine-tune keeps its base's shape
    if family == "diffusion" and kind == "image" and dataset not in ("digits", "mnist5k"):
        # v-prediction for pixel diffusion on colour and member images: with eps, emoji32's
        # sampler left [-1, 1] (values -10..6) from a network whose denoising loss was low, as
        # its error at high noise is divided by sqrt(alpha_bar) ~ 0.006 in x_0. The digit sets
        # keep eps, with which their presets, defaults and zoo models were measured;
        # docs/genlab.md#v-prediction-prediction
        d["prediction"] = "v"
    if family == "gan":
        # the loss brings its hyper-parameters (alias or --set loss=...); explicit ones win
        d.update(LOSS_OPTIONS.get(given.get("loss", d.get("loss", "")), {}))
    d.update(given)
    return TrainConfig.from_dict(d)
