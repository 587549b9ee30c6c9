"""Lesson widgets: each kind names its parameters (type, range, default), how to compute a
figure for a state, and whether it is a live training run by the worker.

A state is the complete, validated set of parameters; its key is a digest of the kind and the
canonical JSON of the state, so the same settings give the same cached figure to everyone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_VALUE_CHARS = 40


class WidgetInputError(ValueError):
    """A parameter a visitor can get wrong: the message says which and why, in their language."""


@dataclass(frozen=True)
class Param:
    name: str
    label: str | Promise
    kind: str  # "int", "float", "choice" or "text" (one line of at most `max` characters)
    default: Any
    min: float = 0
    max: float = 0
    step: float = 1
    choices: tuple[tuple[str, str | Promise], ...] = ()
    # A choice that also takes values of this form (the forward process's own works: work-<id>);
    # who may use such a value is the widget services' business, not the parser's.
    also: str = ""

    def parse(self, raw: str) -> Any:
        raw = raw.strip()
        if len(raw) > MAX_VALUE_CHARS:
            raise WidgetInputError(_("“%(name)s” is too long.") % {"name": self.name})
        if self.kind == "choice":
            if self.also and re.fullmatch(self.also, raw):
                return raw
            if raw not in {value for value, _label in self.choices}:
                allowed = ", ".join(value for value, _label in self.choices)
                raise WidgetInputError(
                    _("“%(name)s” must be one of: %(allowed)s.")
                    % {"name": self.name, "allowed": allowed}
                )
            return raw
        if self.kind == "text":
            if len(raw) > self.max:
                raise WidgetInputError(
                    _("“%(name)s” is at most %(n)d characters.")
                    % {"name": self.name, "n": self.max}
                )
            if any(not c.isprintable() for c in raw):
                raise WidgetInputError(_("“%(name)s” is one line.") % {"name": self.name})
            return raw
        try:
            value = int(raw) if self.kind == "int" else float(raw)
        except ValueError as exc:
            kind = _("a whole number") if self.kind == "int" else _("a number")
            raise WidgetInputError(
                _("“%(name)s” must be %(kind)s.") % {"name": self.name, "kind": kind}
            ) from exc
        if not (self.min <= value <= self.max):  # also refuses nan
            raise WidgetInputError(
                _("“%(name)s” must be between %(min)s and %(max)s.")
                % {"name": self.name, "min": f"{self.min:g}", "max": f"{self.max:g}"}
            )
        if self.kind == "float":
            digits = max(0, len(f"{self.step:g}".partition(".")[2]))
            value = round(value, digits)
        return value


@dataclass(frozen=True)
class Widget:
    kind: str
    title: str | Promise
    params: tuple[Param, ...]
    compute: str  # dotted path of the function that draws a state (see compute.py, live.py)
    live: bool = False  # a training run by the worker, shown frame by frame
    # Parameters shown as the map's click target (vae-map): (x param, y param).
    map_params: tuple[str, str] | None = None
    # Dotted path of a function of the state giving what its key adds beyond the settings (the
    # checkpoint a figure is drawn with), so a new model never answers with an old figure.
    extra: str | None = None
    notes: tuple[str, ...] = field(default=())
    # Dotted path of a function that refuses a parsed state (WidgetInputError) for reasons the
    # ranges cannot say (a prompt's characters the model does not know).
    check: str | None = None
    # The panel (its numbers and table) loads with the page, not only the figure.
    details: bool = False

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def parse(self, data: Mapping[str, str], *, base: Mapping[str, Any] | None = None) -> dict:
        """A full state from submitted values over `base` (the defaults when not given).
        Unknown names and bad values raise WidgetInputError."""
        known = {p.name for p in self.params}
        unknown = sorted(set(data) - known)
        if unknown:
            raise WidgetInputError(
                _("Unknown setting “%(name)s” for this figure.") % {"name": unknown[0][:40]}
            )
        state = dict(base if base is not None else self.defaults())
        for p in self.params:
            if p.name in data:
                state[p.name] = p.parse(str(data[p.name]))
        if self.check is not None:
            _dotted(self.check)(state)
        return state

    def with_extra(self, state: dict[str, Any]) -> dict[str, Any]:
        if self.extra is None:
            return state
        return state | _dotted(self.extra)(state)

    def query(self, state: Mapping[str, Any]) -> str:
        from urllib.parse import urlencode

        return urlencode([(p.name, state[p.name]) for p in self.params])


def _dotted(path: str):
    import importlib

    module, _dot, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def state_key(kind: str, state: Mapping[str, Any]) -> str:
    canonical = json.dumps({"kind": kind, "state": dict(state)}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _ints(name, label, default, low, high, step=1) -> Param:
    return Param(name, label, "int", default, low, high, step)


def _floats(name, label, default, low, high, step) -> Param:
    return Param(name, label, "float", default, low, high, step)


def _text(name, label, default, most) -> Param:
    return Param(name, label, "text", default, 0, most)


def _choice(name, label, default, choices, also="") -> Param:
    return Param(name, label, "choice", default, choices=tuple(choices), also=also)


WORK_IMAGE = r"work-[1-9][0-9]{0,11}"  # a gallery work as the forward process's x_0


SCHEDULES = (("linear", gettext_lazy("linear")), ("cosine", gettext_lazy("cosine")))
IMAGES = (
    *tuple((f"digit-{d}", format_lazy("{} {}", gettext_lazy("digit"), d)) for d in range(10)),
    ("emoji-grinning", gettext_lazy("emoji: grinning face")),
    ("emoji-cat", gettext_lazy("emoji: cat face")),
    ("emoji-rainbow", gettext_lazy("emoji: rainbow")),
)
POINTS = (("8gaussians", gettext_lazy("8 Gaussians")), ("moons", gettext_lazy("moons")))
GAN_LOSSES = (
    ("minimax", gettext_lazy("minimax")),
    ("nonsaturating", gettext_lazy("non-saturating")),
    ("wgan-gp", "WGAN-GP"),
)
PROMPT_CHARS = 24
BETAS = (("1", "β = 1"), ("4", "β = 4"))
SAMPLERS = (("ddpm", "DDPM"), ("ddim", "DDIM"))

WIDGETS: dict[str, Widget] = {
    w.kind: w
    for w in (
        Widget(
            "schedules",
            gettext_lazy("Noise schedules"),
            (
                _ints("t", gettext_lazy("Timestep t"), 250, 1, 1000),
                _ints("T", gettext_lazy("Number of steps T"), 1000, 50, 1000, 50),
            ),
            "agora.learn.widgets.compute.schedules",
        ),
        Widget(
            "forward-process",
            gettext_lazy("The forward process"),
            (
                _choice("image", gettext_lazy("Image"), "digit-3", IMAGES, also=WORK_IMAGE),
                _choice("schedule", gettext_lazy("Schedule"), "linear", SCHEDULES),
                _ints("t", gettext_lazy("Timestep t"), 100, 1, 1000),
                _ints("seed", gettext_lazy("Noise seed"), 0, 0, 99),
            ),
            "agora.learn.widgets.compute.forward_process",
        ),
        Widget(
            "reverse-process",
            gettext_lazy("The reverse process"),
            (
                _choice("sampler", gettext_lazy("Sampler"), "ddim", SAMPLERS),
                _ints("steps", gettext_lazy("Sampling steps"), 50, 10, 1000, 10),
                _floats("eta", gettext_lazy("DDIM η"), 0.0, 0.0, 1.0, 0.1),
                _floats("w", gettext_lazy("Guidance weight w"), 0.0, 0.0, 4.0, 0.5),
                _ints("seed", gettext_lazy("Seed"), 0, 0, 99),
            ),
            "agora.learn.widgets.reverse.trajectory",
            extra="agora.learn.widgets.reverse.model_state",
        ),
        Widget(
            "sampler-table",
            gettext_lazy("Samplers compared"),
            (_ints("seed", gettext_lazy("Seed"), 0, 0, 9),),
            "agora.learn.widgets.reverse.table",
            live=True,
            extra="agora.learn.widgets.reverse.model_state",
        ),
        Widget(
            "gan-game",
            gettext_lazy("The GAN game"),
            (
                _choice("data", gettext_lazy("Data"), "8gaussians", POINTS),
                _choice("loss", gettext_lazy("Loss"), "nonsaturating", GAN_LOSSES),
                _ints("steps", gettext_lazy("Training steps"), 600, 50, 3000, 50),
                _ints("seed", gettext_lazy("Seed"), 0, 0, 99),
            ),
            "agora.learn.widgets.live.gan_game",
            live=True,
        ),
        Widget(
            "vae-train",
            gettext_lazy("A VAE training live"),
            (
                _choice("beta", "β", "1", BETAS),
                _ints("steps", gettext_lazy("Training steps"), 1500, 50, 3000, 50),
                _ints("seed", gettext_lazy("Seed"), 0, 0, 99),
            ),
            "agora.learn.widgets.live.vae_train",
            live=True,
        ),
        Widget(
            "vae-map",
            gettext_lazy("The latent space of a VAE"),
            (
                _choice("beta", "β", "1", BETAS),
                _floats("z1", "z₁", 0.0, -3.0, 3.0, 0.1),
                _floats("z2", "z₂", 0.0, -3.0, 3.0, 0.1),
            ),
            "agora.learn.widgets.compute.vae_map",
            extra="agora.learn.widgets.compute.vae_state",
            map_params=("z1", "z2"),
        ),
        Widget(
            "vae-interpolate",
            gettext_lazy("Interpolating in the latent space"),
            (
                _choice("beta", "β", "1", BETAS),
                _ints("a", gettext_lazy("From digit"), 1, 0, 9),
                _ints("b", gettext_lazy("To digit"), 7, 0, 9),
                _ints("n", gettext_lazy("Images"), 8, 3, 12),
            ),
            "agora.learn.widgets.compute.vae_interpolate",
            extra="agora.learn.widgets.compute.vae_state",
        ),
        Widget(
            "gpt-next",
            gettext_lazy("The next character"),
            (
                _text("prompt", gettext_lazy("Prompt"), "床前明月光", PROMPT_CHARS),
                _floats("temperature", gettext_lazy("Temperature T"), 1.0, 0.1, 2.0, 0.1),
                _floats("top_p", gettext_lazy("Top-p"), 0.9, 0.05, 1.0, 0.05),
            ),
            "agora.learn.widgets.gpt.next_char",
            extra="agora.learn.widgets.gpt.model_state",
            check="agora.learn.widgets.gpt.check",
            details=True,
        ),
        Widget(
            "gpt-attention",
            gettext_lazy("Attention of one head"),
            (
                _text("prompt", gettext_lazy("Prompt"), "床前明月光，疑是地上霜。", PROMPT_CHARS),
                _ints("layer", gettext_lazy("Layer"), 1, 1, 4),
                _ints("head", gettext_lazy("Head"), 1, 1, 4),
            ),
            "agora.learn.widgets.gpt.attention",
            extra="agora.learn.widgets.gpt.model_state",
            check="agora.learn.widgets.gpt.check",
            details=True,
        ),
    )
}


def get(kind: str) -> Widget:
    widget = WIDGETS.get(kind)
    if widget is None:
        raise WidgetInputError(_("There is no figure called “%(kind)s”.") % {"kind": kind[:40]})
    return widget
