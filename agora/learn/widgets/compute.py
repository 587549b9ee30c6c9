"""Figures computed in the web process: cheap enough to answer within a request (the forward
process, the schedules, decoding points of the model zoo's lesson VAEs). Each takes a validated
state and returns a Drawn (PNG bytes and the numbers shown beside it)."""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agora.learn.widgets import figures

EMOJI = {"grinning": "1f600", "cat": "1f431", "rainbow": "1f308"}


class NoModel(Exception):
    """The model a figure is drawn with is not in this installation (the zoo's weights are not
    built, and for the reverse process no public diffusion model either)."""


@dataclass
class Drawn:
    png: bytes
    data: dict[str, Any] = field(default_factory=dict)


def _schedule(kind: str, T: int = 1000):
    from genlab.diffusion import NoiseSchedule

    return NoiseSchedule.make(kind, T)


def work_image(work_id: int) -> np.ndarray:
    """A gallery work as x_0: its image cropped to a centred square and scaled to 32 × 32 RGB,
    in [-1, 1]. Who may use which work is decided before (widget_services.check_access)."""
    from PIL import Image

    from agora.gallery.models import Work

    work = Work.objects.only("image").get(pk=work_id)
    with work.image.open("rb") as handle:
        picture = Image.open(handle).convert("RGB")
    side = min(picture.size)
    left, top = (picture.width - side) // 2, (picture.height - side) // 2
    square = picture.crop((left, top, left + side, top + side))
    rgb = np.asarray(square.resize((32, 32), Image.Resampling.LANCZOS), dtype=np.float32)
    return rgb.transpose(2, 0, 1) / 127.5 - 1


def source_image(name: str) -> np.ndarray:
    if name.startswith("work-"):
        return work_image(int(name.removeprefix("work-")))
    return _built_in_image(name)


@functools.lru_cache(maxsize=16)
def _built_in_image(name: str) -> np.ndarray:
    """The picture to noise, (C, H, W) in [-1, 1]: the first MNIST digit of a class, or a
    Twemoji image from the npm package the zoo data sets use."""
    if name.startswith("digit-"):
        return _first_digits()[int(name.removeprefix("digit-"))]
    from PIL import Image

    code = EMOJI[name.removeprefix("emoji-")]
    path = Path(settings.BASE_DIR) / "node_modules/emoji-datasource-twitter/img/twitter/64"
    rgba = (
        Image.open(path / f"{code}.png").convert("RGBA").resize((32, 32), Image.Resampling.LANCZOS)
    )
    white = Image.new("RGBA", rgba.size, "white")
    rgb = np.asarray(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.float32)
    return rgb.transpose(2, 0, 1) / 127.5 - 1


@functools.lru_cache(maxsize=1)
def _first_digits() -> list[np.ndarray]:
    """The first MNIST image of each class (the data set is read once per process)."""
    from genlab.data import load_dataset

    ds = load_dataset("mnist5k")
    return [ds.x[int((ds.y == d).nonzero()[0, 0])].numpy() for d in range(10)]


def forward_process(state: dict[str, Any]) -> Drawn:
    """x_t by DDPM eq. 4 (one jump) beside x_t reached by t steps of eq. 2, from one image."""
    import torch

    from genlab.diffusion import q_sample, q_step

    sched = _schedule(state["schedule"])
    t = state["t"] - 1  # genlab's timesteps are 0-indexed
    x0 = torch.from_numpy(source_image(state["image"])).unsqueeze(0)
    gen = torch.Generator().manual_seed(state["seed"])
    eps = torch.randn(x0.shape, generator=gen)
    closed = q_sample(sched, x0, torch.tensor([t]), eps)
    x = x0.clone()
    for s in range(t + 1):
        x = q_step(sched, x, s, torch.randn(x0.shape, generator=gen))
    alpha_bar = float(sched.alpha_bar[t])
    scale = 5 if x0.shape[-1] <= 28 else 4
    image = figures.image_row(
        [x0[0].numpy(), closed[0].numpy(), x[0].numpy()],
        ["x₀", "q(x_t | x₀)", f"{state['t']} × q(x_s | x_s−1)"],
        scale=scale,
    )
    return Drawn(
        figures.to_png(image),
        {
            "numbers": [
                ["ᾱ_t", f"{alpha_bar:.5f}"],
                ["√ᾱ_t", f"{math.sqrt(alpha_bar):.4f}"],
                ["√(1 − ᾱ_t)", f"{math.sqrt(1 - alpha_bar):.4f}"],
                ["SNR = ᾱ_t / (1 − ᾱ_t)", f"{alpha_bar / max(1 - alpha_bar, 1e-12):.4g}"],
            ]
        },
    )


def schedules(state: dict[str, Any]) -> Drawn:
    """β_t, ᾱ_t and log SNR for the linear and cosine schedules, t marked."""
    T, t = state["T"], min(state["t"], state["T"])
    lin, cos = _schedule("linear", T), _schedule("cosine", T)
    xs = list(range(1, T + 1))
    image = figures.blank(720, 230)
    colours = {"linear": figures.PALETTE[0], "cosine": figures.PALETTE[1]}
    panels = [
        ("β_t", lambda s: s.betas.numpy(), (0.0, 0.05 if T >= 500 else 0.4)),
        ("ᾱ_t", lambda s: s.alpha_bar.numpy(), (0.0, 1.0)),
        ("log SNR", lambda s: np.log(s.alpha_bar.numpy() / (1 - s.alpha_bar.numpy())), (-12, 10)),
    ]
    for i, (title, values, ylim) in enumerate(panels):
        left = 40 + i * 235
        axes = figures.Axes(image, (left, 24, left + 190, 200), (1, T), ylim)
        axes.ticks([ylim[0], (ylim[0] + ylim[1]) / 2, ylim[1]])
        for name, sched in (("linear", lin), ("cosine", cos)):
            axes.line(xs, [float(v) for v in values(sched)], colours[name])
        axes.vline(t)
        axes.frame(title, "t")
        if i == 0:
            axes.legend([("linear", colours["linear"]), ("cosine", colours["cosine"])])
    data = {
        "table": {
            "head": [gettext_noop("schedule"), "β_t", "ᾱ_t", "SNR"],
            "rows": [
                [
                    name,
                    f"{float(s.betas[t - 1]):.5f}",
                    f"{float(s.alpha_bar[t - 1]):.5f}",
                    f"{float(s.alpha_bar[t - 1] / (1 - s.alpha_bar[t - 1])):.4g}",
                ]
                for name, s in (("linear", lin), ("cosine", cos))
            ],
        }
    }
    return Drawn(figures.to_png(image), data)


# --- the VAE's latent space ------------------------------------------------------------------

# The model zoo's lesson VAEs (genlab/zoo/models/): a 2-D latent on the 8×8 digits, one per β.
LESSON_VAES = {"1": "digits8-vae2d", "4": "digits8-vae2d-beta4"}


class NoLessonVAE(NoModel):
    def __str__(self) -> str:
        return _(
            "This installation has no lesson VAE in its model zoo "
            "(python -m genlab zoo build digits8-vae2d --write), so this figure is off."
        )


def zoo_entry(name: str):
    """A built zoo model (genlab.zoo.ZooModel), or None when this build lacks it or its weights.
    Read again only when its files change (a panel asks several times per request)."""
    try:
        from genlab import zoo
    except ImportError:
        return None
    directory = zoo.ZOO_DIR / name
    try:
        stamp = tuple(
            os.stat(directory / file).st_mtime_ns for file in (zoo.RECIPE, zoo.CARD, zoo.WEIGHTS)
        )
    except OSError:  # no such model, or not built
        return None
    return _zoo_entry(name, stamp)


@functools.lru_cache(maxsize=8)
def _zoo_entry(name: str, stamp: tuple[int, ...]):
    from genlab import zoo

    try:
        found = zoo.get_model(name)
    except zoo.ZooError:
        return None
    return found if found.built else None


def vae_state(state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the key of a latent-space figure adds: the zoo VAE (for the state's β) it decodes
    with, so rebuilt weights never answer with an old figure."""
    name = LESSON_VAES[(state or {}).get("beta", "1")]
    found = zoo_entry(name)
    if found is None:
        raise NoLessonVAE
    return {"checkpoint": found.weights_sha256[:16], "model": f"zoo:{name}"}


def lesson_vae(state: Mapping[str, Any]):
    """The zoo VAE a latent-space figure decodes with (its genlab family), through the lab's
    cache of loaded checkpoints."""
    from agora.lab.checkpoints import cache

    found = zoo_entry(LESSON_VAES[state["beta"]])
    if found is None:
        raise NoLessonVAE
    return cache().get(found.weights_path, found.weights_sha256).model


@functools.lru_cache(maxsize=4)
def _encoded_digits(beta: str, sha: str) -> tuple[np.ndarray, np.ndarray]:
    """Latent means of 600 digits, for the map's dots (`sha` keys the cache to the weights)."""
    import torch

    from genlab.data import load_dataset, to_unit

    family = lesson_vae({"beta": beta})
    ds = load_dataset("digits")
    x = ds.x[:600]
    with torch.no_grad():
        mu, _log_var = family.model.encoder(to_unit(x).clamp(0, 1))
    return mu.numpy(), ds.y[:600].numpy()


def _decode(family, z: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        mean = family.model.eval().decode_mean(torch.from_numpy(z.astype(np.float32)))
        return family.to_data_space(mean).numpy()


MAP_EXTENT = 3.0
MAP_TILES = 11


def vae_map(state: dict[str, Any]) -> Drawn:
    """Left: the latent plane, decoded on a grid, with the digits' latent means as dots and the
    chosen point ringed. Right: the chosen point decoded, large."""
    family = lesson_vae(state)
    found = zoo_entry(LESSON_VAES[state["beta"]])
    mus, labels = _encoded_digits(state["beta"], found.weights_sha256)
    grid = np.linspace(-MAP_EXTENT, MAP_EXTENT, MAP_TILES)
    zs = np.array([[x, y] for y in grid[::-1] for x in grid])
    tiles = _decode(family, zs)
    size, scale = tiles.shape[-1], 3
    tile_px = size * scale
    plane = figures.blank(MAP_TILES * tile_px, MAP_TILES * tile_px)
    for i, tile in enumerate(tiles):
        plane.paste(
            figures.pixels(tile, scale), ((i % MAP_TILES) * tile_px, (i // MAP_TILES) * tile_px)
        )
    half = tile_px / 2
    axes = figures.Axes(
        plane,
        (int(half), int(half), int(plane.width - half), int(plane.height - half)),
        (-MAP_EXTENT, MAP_EXTENT),
        (-MAP_EXTENT, MAP_EXTENT),
    )
    for digit in range(10):
        axes.points(mus[labels == digit], figures.PALETTE[digit % 8], r=1.2)
    px, py = axes.px(state["z1"], state["z2"])
    axes.draw.ellipse((px - 7, py - 7, px + 7, py + 7), outline="#d62728", width=3)
    point = _decode(family, np.array([[state["z1"], state["z2"]]]))[0]
    big = figures.image_row([point], [f"z = ({state['z1']:g}, {state['z2']:g})"], scale=16)
    image = figures.side_by_side([plane, big])
    return Drawn(
        figures.to_png(image),
        {"extent": MAP_EXTENT, "map_width": plane.width, "map_height": plane.height, "inset": half},
    )


def vae_interpolate(state: dict[str, Any]) -> Drawn:
    """Decode evenly spaced points on the line between the latent means of two digits."""
    import torch

    from genlab.data import load_dataset, to_unit
    from genlab.vae import interpolate

    family = lesson_vae(state)
    ds = load_dataset("digits")
    a = int((ds.y == state["a"]).nonzero()[0, 0])
    b = int((ds.y == state["b"]).nonzero()[0, 0])
    with torch.no_grad():
        mu, _log_var = family.model.encoder(to_unit(ds.x[[a, b]]).clamp(0, 1))
        images = family.to_data_space(interpolate(family.model, mu[0], mu[1], state["n"]))
    captions = [f"{i / (state['n'] - 1):.2f}" for i in range(state["n"])]
    row = figures.image_row(
        [ds.x[a].numpy(), *images.numpy(), ds.x[b].numpy()], ["x_a", *captions, "x_b"], scale=5
    )
    return Drawn(figures.to_png(row), {})
