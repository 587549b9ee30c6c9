"""The generation recipe: everything a generation depends on, with a stable JSON form and hash."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from genlab.errors import RecipeError

MAX_COUNT = 1024  # samples in one generation (sample.py refuses more)

RECIPE_VERSION = 1
VARIANCES = ("beta", "beta_tilde")


@dataclass(frozen=True)
class Recipe:
    checkpoint_sha256: str
    sampler: str | None = None  # "ddpm" | "ddim" for diffusion; "direct" for GAN/VAE; None: default
    steps: int = 50
    eta: float = 0.0
    guidance: float = 0.0
    seed: int = 0
    labels: tuple[int, ...] | None = None
    count: int = 16
    # DDIM on images only: clamp each step's x0 prediction to [-1, 1] (diffusers' clip_sample).
    # Written to JSON only when true, so recipes made before the option keep their JSON and hash.
    clip_sample: bool = False
    # DDPM sampler only: sigma_t^2 = beta_t ("beta", Algorithm 2's default) or the posterior
    # variance beta_tilde_t (DDPM eq. 7, "beta_tilde"). Written only when not "beta".
    variance: str = "beta"

    def __post_init__(self) -> None:
        # normalise types so that 0 and 0.0 give the same JSON and hash
        for name, kind in (("steps", int), ("seed", int), ("count", int)):
            object.__setattr__(self, name, kind(getattr(self, name)))
        for name in ("eta", "guidance"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.labels is not None and not isinstance(self.labels, tuple):
            object.__setattr__(self, "labels", tuple(int(v) for v in self.labels))
        if not isinstance(self.clip_sample, bool):
            raise RecipeError(f"clip_sample must be true or false, got {self.clip_sample!r}")
        if self.variance not in VARIANCES:
            raise RecipeError(f"unknown variance {self.variance!r}; use beta or beta_tilde")
        if self.sampler not in (None, "ddpm", "ddim", "direct"):
            raise RecipeError(f"unknown sampler {self.sampler!r}; use ddpm, ddim or direct")
        if self.eta < 0:
            raise RecipeError(f"eta must be >= 0, got {self.eta}")
        if self.steps < 1:
            raise RecipeError(f"steps must be at least 1, got {self.steps}")
        if not 0 <= self.seed < 2**63:
            raise RecipeError(f"seed must be in [0, 2^63), got {self.seed}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["labels"] = list(self.labels) if self.labels is not None else None
        if not self.clip_sample:
            del d["clip_sample"]
        if self.variance == "beta":
            del d["variance"]
        d["version"] = RECIPE_VERSION
        return d

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no spaces; floats written by repr (round-trip exact)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    @classmethod
    def from_json(cls, text: str) -> Recipe:
        try:
            d = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RecipeError(f"recipe is not valid JSON: {exc}") from exc
        if not isinstance(d, dict):
            raise RecipeError("recipe must be a JSON object")
        if d.pop("version", RECIPE_VERSION) != RECIPE_VERSION:
            raise RecipeError("recipe version not supported")
        try:
            return cls(**d)
        except TypeError as exc:
            raise RecipeError(f"bad recipe fields: {exc}") from exc
