"""Live trainings run by the worker: a tiny model trains and its figure is redrawn every few
steps (a frame), so the page can show the training as it happens. Each function takes the
validated state and `report(step, total, drawn)`, and returns the last figure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from django.utils.translation import gettext_noop

from agora.learn.widgets import figures
from agora.learn.widgets.compute import Drawn

FRAMES = 12
Report = Callable[[int, int, Drawn], None]


def _frame_steps(total: int) -> set[int]:
    return {max(1, round(total * (i + 1) / FRAMES)) for i in range(FRAMES)}


def gan_game(state: dict[str, Any], report: Report) -> Drawn:
    """Algorithm 1 of Goodfellow et al. on 2-D points (genlab's GAN family, MLPs): the
    generator's samples over the discriminator's decision field, redrawn every few steps."""
    import torch

    from genlab.config import LOSS_OPTIONS, TrainConfig
    from genlab.data import load_dataset
    from genlab.family import DataSpec, build_family

    torch.set_num_threads(1)  # tiny MLPs: one thread is fastest
    data = load_dataset(state["data"])
    cfg = TrainConfig(
        family="gan",
        dataset=state["data"],
        loss=state["loss"],
        seed=state["seed"],
        steps=state["steps"],
        **LOSS_OPTIONS.get(state["loss"], {}),
    )
    torch.manual_seed(state["seed"])
    family = build_family(cfg, DataSpec.of(data, False))
    gen = torch.Generator().manual_seed(state["seed"])
    real = data.x[:: max(1, len(data) // 400)].numpy()
    z = torch.randn(400, cfg.z_dim, generator=torch.Generator().manual_seed(1000 + state["seed"]))
    losses: list[dict[str, float]] = []
    drawn = Drawn(b"")
    total, when = state["steps"], _frame_steps(state["steps"])
    for step in range(1, total + 1):
        out = family.train_step(data, gen, step - 1)
        if step % max(1, total // 100) == 0 or step == total:
            losses.append({"step": step, **{k: round(v, 4) for k, v in out.items()}})
        if step in when:
            drawn = _gan_frame(family, real, z, state, step, losses)
            report(step, total, drawn)
    return drawn


LIMITS = 3.0
FIELD = 48


def _gan_frame(family, real, z, state, step, losses) -> Drawn:
    import torch

    with torch.no_grad():
        family.G.eval()
        fake = family.G(z).numpy()
        family.G.train()
        grid = np.linspace(-LIMITS, LIMITS, FIELD, dtype=np.float32)
        xy = np.array([[x, y] for y in grid[::-1] for x in grid], dtype=np.float32)
        d = family.D(torch.from_numpy(xy)).numpy().reshape(FIELD, FIELD)
    # D's output as the probability "real" (a logit) or, for a critic, rescaled to [0, 1].
    field = 1 / (1 + np.exp(-d)) if state["loss"] != "wgan-gp" else (d - d.min()) / (np.ptp(d) or 1)
    image = figures.blank(300, 300)
    axes = figures.Axes(image, (10, 24, 290, 290), (-LIMITS, LIMITS), (-LIMITS, LIMITS))
    axes.field(field)
    axes.points(real, "#555555", r=1.2)
    axes.points(fake, "#d62728", r=1.6)
    axes.frame(f"t = {step}")
    chart = figures.blank(300, 300)
    xs = [p["step"] for p in losses]
    ds, gs = [p["d_loss"] for p in losses], [p["g_loss"] for p in losses]
    low, high = min(ds + gs), max(ds + gs)
    pad = (high - low) * 0.1 or 1
    loss_axes = figures.Axes(
        chart, (50, 24, 290, 270), (0, state["steps"]), (low - pad, high + pad)
    )
    loss_axes.ticks([low, (low + high) / 2, high], "{:.2f}")
    loss_axes.line(xs, ds, figures.PALETTE[0])
    loss_axes.line(xs, gs, figures.PALETTE[1])
    loss_axes.frame("L_D, L_G", "t")
    loss_axes.legend([("D", figures.PALETTE[0]), ("G", figures.PALETTE[1])])
    return Drawn(
        figures.to_png(figures.side_by_side([image, chart])),
        {"numbers": [[gettext_noop("step"), step], ["D loss", ds[-1]], ["G loss", gs[-1]]]},
    )


def vae_train(state: dict[str, Any], report: Report) -> Drawn:
    """A VAE with a 2-D latent space on the 8×8 digits (genlab's VAE family): the ELBO split
    into its reconstruction and KL terms as it trains, and reconstructions. Its default settings
    are the recipes of the zoo's lesson VAEs (digits8-vae2d, -beta4) that the latent map decodes
    with; this training is only watched, never kept."""
    import torch

    from genlab.config import TrainConfig
    from genlab.data import load_dataset
    from genlab.family import DataSpec, build_family

    torch.set_num_threads(1)
    data = load_dataset("digits")
    beta = float(state["beta"])
    cfg = TrainConfig(  # the zoo's lesson VAEs' recipe (Gaussian p(x|z): no collapse at β = 4)
        family="vae",
        dataset="digits",
        beta=beta,
        z_dim=2,
        likelihood="gaussian",
        seed=state["seed"],
        steps=state["steps"],
    )
    torch.manual_seed(state["seed"])
    family = build_family(cfg, DataSpec.of(data, False))
    gen = torch.Generator().manual_seed(state["seed"])
    curve: list[dict[str, float]] = []
    total, when = state["steps"], _frame_steps(state["steps"])
    drawn = Drawn(b"")
    sums = {"rec": 0.0, "kl": 0.0, "n": 0}
    for step in range(1, total + 1):
        out = family.train_step(data, gen, step - 1)
        sums["rec"] += out["rec"]
        sums["kl"] += out["kl"]
        sums["n"] += 1
        if step % max(1, total // 60) == 0 or step == total:
            n = sums["n"]
            curve.append({"step": step, "rec": sums["rec"] / n, "kl": sums["kl"] / n})
            sums = {"rec": 0.0, "kl": 0.0, "n": 0}
        if step in when:
            drawn = _vae_frame(family, data, curve, state, step)
            report(step, total, drawn)
    return drawn


def _vae_frame(family, data, curve, state, step) -> Drawn:
    import torch

    from genlab.data import to_unit

    chart = figures.blank(320, 260)
    xs = [p["step"] for p in curve]
    recs, kls = [p["rec"] for p in curve], [p["kl"] for p in curve]
    elbo = [-(r + k) for r, k in zip(recs, kls, strict=True)]
    totals = [r + k for r, k in zip(recs, kls, strict=True)]
    # A Gaussian p(x|z) is a density: −log p(x|z), and −ELBO with it, fall below zero.
    low, high = min(0.0, *recs, *totals), max(*recs, *kls, *totals)
    pad = (high - low) * 0.05 or 1
    axes = figures.Axes(chart, (44, 24, 310, 225), (0, state["steps"]), (low - pad, high + pad))
    axes.ticks([low, (low + high) / 2, high], "{:.0f}")
    axes.line(xs, recs, figures.PALETTE[0])
    axes.line(xs, kls, figures.PALETTE[1])
    axes.line(xs, totals, "#555555", width=1)
    axes.frame("−ELBO = −E[log p(x|z)] + KL", "t")
    axes.legend(
        [("−E[log p(x|z)]", figures.PALETTE[0]), ("KL", figures.PALETTE[1]), ("−ELBO", "#555555")]
    )
    with torch.no_grad():
        family.model.eval()
        x = data.x[:6]
        mu, _log_var = family.model.encoder(to_unit(x).clamp(0, 1))
        rec = family.to_data_space(family.model.decode_mean(mu)).numpy()
        family.model.train()
    originals = figures.image_row(list(x.numpy()), [""] * 6, scale=4, pad=4)
    recons = figures.image_row(list(rec), [""] * 6, scale=4, pad=4)
    column = figures.blank(originals.width, originals.height + recons.height + 20)
    draw = figures.ImageDraw.Draw(column)
    draw.text((4, 0), "x", fill=figures.INK, font=figures.font(11))
    column.paste(originals, (0, 12))
    draw.text((4, originals.height + 8), "x̂", fill=figures.INK, font=figures.font(11))
    column.paste(recons, (0, originals.height + 20))
    return Drawn(
        figures.to_png(figures.side_by_side([chart, column])),
        {
            "numbers": [
                [gettext_noop("step"), step],
                [gettext_noop("reconstruction"), f"{recs[-1]:.2f}"],
                ["KL", f"{kls[-1]:.2f}"],
                ["ELBO", f"{elbo[-1]:.2f}"],
            ]
        },
    )
