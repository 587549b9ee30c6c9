"""The reverse process of a diffusion model from the lab (the newest public diffusion model,
an image model before a 2-D one): trajectories of x_t and of the predicted x_0 under DDPM and
DDIM, and a table of sampler settings scored by the site (classifier FD and class accuracy for
images, MMD² for 2-D points)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.utils.translation import gettext_noop

from agora.learn.widgets import figures
from agora.learn.widgets.compute import Drawn, NoModel
from agora.learn.widgets.live import Report

SNAPSHOTS = 6
IMAGE_DATASETS = ("mnist5k", "digits")


def zoo_model():
    """The model zoo's diffusion model (genlab.zoo, when this build has it and its weights are
    built), image data sets first; None otherwise."""
    try:
        from genlab import zoo
    except ImportError:
        return None
    built = [m for m in zoo.list_models() if m.family == "diffusion" and m.built]
    built.sort(key=lambda m: (m.dataset not in IMAGE_DATASETS, m.name))
    return built[0] if built else None


def lesson_model():
    """The lab model the lesson samples from: the newest public diffusion model, image data
    sets first (none: NoModel)."""
    from agora.lab.models import LabModel

    public = LabModel.objects.filter(
        private=False, run__family="diffusion", superseded_by=None
    ).select_related("run")
    model = (
        public.filter(run__dataset__in=IMAGE_DATASETS).order_by("-created_at").first()
        or public.order_by("-created_at").first()
    )
    if model is None:
        raise NoModel
    return model


def model_state(state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the cache key adds to a state: the checkpoint the figure was drawn with (the zoo's
    diffusion model when there is one, else the Lab's newest public one)."""
    zoo = zoo_model()
    if zoo is not None:
        return {"checkpoint": zoo.weights_sha256[:16], "model": f"zoo:{zoo.name}"}
    model = lesson_model()
    return {"checkpoint": model.checkpoint_sha256[:16], "model": model.id}


def _family(model_id: int | str):
    """The model's genlab family, through the lab's cache of loaded checkpoints."""
    from agora.lab.checkpoints import cache

    if isinstance(model_id, str) and model_id.startswith("zoo:"):
        from genlab import zoo

        found = zoo.get_model(model_id.removeprefix("zoo:"))
        return cache().get(found.weights_path, found.weights_sha256).model
    from agora.lab.execution import local_checkpoint
    from agora.lab.models import LabModel

    model = LabModel.objects.get(pk=model_id)
    return cache().get(local_checkpoint(model), model.checkpoint_sha256).model


def _sample(family, state: dict[str, Any], n: int, record: bool):
    """Run DDPM (all T steps) or DDIM (`steps`), keeping x_t and x̂_0 at a few steps."""
    import torch

    from genlab.diffusion import _GuidedCaller, ddim_coefficients, ddpm_coefficients

    torch.set_num_threads(1)
    net = family.eps_net()
    sched = family.sched
    shape = (n, *family.spec.shape)
    gen = torch.Generator().manual_seed(state["seed"])
    k = family.num_classes
    y = torch.arange(n) % k if k else None
    guided = y is not None and state["w"] != 0
    call = _GuidedCaller(net, shape, y, state["w"], k)
    if state["sampler"] == "ddpm":
        steps = [(c.t, c) for c in ddpm_coefficients(sched)]
    else:
        steps = [(c.t, c) for c in ddim_coefficients(sched, state["steps"], state["eta"])]
    keep = {round(i * (len(steps) - 1) / (SNAPSHOTS - 1)) for i in range(SNAPSHOTS)}
    x = torch.randn(shape, generator=gen)
    snapshots = []
    with torch.no_grad():
        for i, (t, c) in enumerate(steps):
            eps = call(x, t)
            ab = float(sched.alpha_bar[t])
            if record and i in keep:
                x0 = (x - (1 - ab) ** 0.5 * eps) / ab**0.5  # DDPM eq. 15 solved for x_0
                snapshots.append((t, x.clone().numpy(), x0.numpy()))
            if state["sampler"] == "ddpm":
                x = (x - c.eps_coef * eps) * c.sqrt_recip_alpha  # DDPM eq. 11
                if c.t > 0:
                    x = x + c.sigma * torch.randn(shape, generator=gen)
            else:
                x = c.x_coef * x + c.eps_coef * eps  # DDIM eq. 12 in x_t and eps
                if state["eta"] > 0:
                    x = x + c.sigma * torch.randn(shape, generator=gen)
    calls = len(steps) * (2 if guided else 1)
    return x, snapshots, calls, y


def _cell(family, x: np.ndarray, size: int = 110):
    if family.spec.kind == "points":
        image = figures.blank(size, size)
        axes = figures.Axes(image, (2, 2, size - 2, size - 2), (-3, 3), (-3, 3))
        axes.points(x[:300], "#1f77b4", r=1.0)
        axes.draw.rectangle(axes.box, outline=figures.GRID)
        return image
    return figures.image_row([x[0]], [""], scale=max(1, size // x.shape[-1]), pad=2)


def trajectory(state: dict[str, Any]) -> Drawn:
    family = _family(state["model"])
    n = 400 if family.spec.kind == "points" else 8
    started = time.monotonic()
    x, snapshots, calls, _y = _sample(family, state, n, record=True)
    seconds = time.monotonic() - started
    cells = [
        [_cell(family, xt) for _t, xt, _x0 in snapshots],
        [_cell(family, x0) for _t, _xt, x0 in snapshots],
    ]
    w, h = cells[0][0].width, cells[0][0].height
    image = figures.blank(40 + SNAPSHOTS * (w + 6), 2 * (h + 22) + 10)
    draw = figures.ImageDraw.Draw(image)
    for row, label in enumerate(("x_t", "x̂₀")):
        top = 18 + row * (h + 22)
        draw.text((4, top + h / 2), label, fill=figures.INK, font=figures.font(13), anchor="lm")
        for col, cell in enumerate(cells[row]):
            left = 40 + col * (w + 6)
            image.paste(cell, (left, top))
            if row == 0:
                draw.text(
                    (left + w / 2, 2),
                    f"t = {snapshots[col][0] + 1}",
                    fill=figures.INK,
                    font=figures.font(11),
                    anchor="ma",
                )
    if family.spec.kind == "image":
        final = figures.image_row(list(x.numpy()), [""] * len(x), scale=3, pad=3)
        image = figures.side_by_side([image, final])
    guided_note = "" if family.num_classes else " (w: unconditional model)"
    return Drawn(
        figures.to_png(image),
        {
            "numbers": [
                [gettext_noop("network calls"), calls],
                [gettext_noop("sampling time (s)"), f"{seconds:.2f}"],
                [gettext_noop("model"), f"#{state['model']}{guided_note}"],
            ]
        },
    )


TABLE_SETTINGS = (
    ("ddpm", 1000, 0.0),
    ("ddim", 10, 0.0),
    ("ddim", 50, 0.0),
    ("ddim", 50, 1.0),
    ("ddim", 200, 0.0),
)


def table(state: dict[str, Any], report: Report) -> Drawn:
    """Each setting scored on the same number of samples: classifier FD and class accuracy (a
    classifier genlab trains on the data set, cached) for images, MMD² for 2-D points."""
    import torch

    from genlab.data import load_dataset

    family = _family(state["model"])
    points = family.spec.kind == "points"
    dataset = family.cfg.dataset
    reference = load_dataset(dataset).x
    if points:
        from genlab.metrics import mmd2_unbiased
    else:
        from genlab.metrics import as_displayed, classifier_scores, get_classifier

        classifier = get_classifier(dataset, family.spec.shape[-1])
    n = 500 if points else 200
    order = torch.randperm(len(reference), generator=torch.Generator().manual_seed(0))
    sample_of_data = reference[order[:n]]
    rows, cells = [], []
    for i, (sampler, steps, eta) in enumerate(TABLE_SETTINGS):
        setting = {
            "sampler": sampler,
            "steps": steps,
            "eta": eta,
            "w": 0.5 if family.num_classes else 0.0,
            "seed": state["seed"],
        }
        x, _snapshots, calls, y = _sample(family, setting, n, record=False)
        if points:
            score = [f"{float(mmd2_unbiased(x, sample_of_data)):.4f}", "—"]
        else:
            s = classifier_scores(classifier, as_displayed(x), sample_of_data, y)
            score = [
                f"{s['classifier_fd']:.1f}",
                f"{100 * s.get('class_accuracy', 0):.0f} %" if y is not None else "—",
            ]
        label = "DDPM" if sampler == "ddpm" else f"DDIM η={eta:g}"
        rows.append([label, steps if sampler == "ddim" else family.sched.T, calls, *score])
        cells.append(_cell(family, x.numpy(), size=90))
        strip = figures.side_by_side(cells, pad=6)
        report(
            i + 1,
            len(TABLE_SETTINGS),
            Drawn(figures.to_png(strip), {"table": _table(rows, points)}),
        )
    return Drawn(
        figures.to_png(figures.side_by_side(cells, pad=6)), {"table": _table(rows, points)}
    )


def _table(rows, points: bool) -> dict[str, Any]:
    score = (
        ["MMD²", "—"] if points else [gettext_noop("classifier FD"), gettext_noop("class accuracy")]
    )
    return {
        "head": [
            gettext_noop("sampler"),
            gettext_noop("steps"),
            gettext_noop("network calls"),
            *score,
        ],
        "rows": rows,
    }
