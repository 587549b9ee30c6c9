"""Evaluation without downloaded weights: a classifier trained here on the same data gives the
Frechet distance in its feature space and the class accuracy of conditional samples; MMD for 2-D
data; held-out ELBO for the VAE."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional as F

from genlab._io import atomic_path
from genlab.data import Dataset, load_dataset
from genlab.family import Family
from genlab.nets import Classifier

MMD_BANDWIDTHS = (0.05, 0.1, 0.2, 0.5, 1.0)


def mmd2_unbiased(
    x: torch.Tensor, y: torch.Tensor, bandwidths: tuple[float, ...] = MMD_BANDWIDTHS
) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) with a sum of RBF kernels exp(-d^2 / 2h^2)."""
    x, y = x.double(), y.double()
    m, n = x.shape[0], y.shape[0]

    def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = torch.cdist(a, b).pow(2)
        return sum(torch.exp(-d2 / (2 * h * h)) for h in bandwidths)  # type: ignore[return-value]

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    sxx = (kxx.sum() - kxx.diagonal().sum()) / (m * (m - 1))
    syy = (kyy.sum() - kyy.diagonal().sum()) / (n * (n - 1))
    return float(sxx + syy - 2 * kxy.mean())


def points_mmd(model: Family, val: Dataset, n: int = 1000, seed: int = 0) -> float:
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        x = model.generate(n, gen, None, model.default_sampler(), 50, 0.0, 0.0)
    return mmd2_unbiased(x, val.x[:n])


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """FID formula: ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)."""
    f1, f2 = f1.astype(np.float64), f2.astype(np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    w, v = np.linalg.eigh(s1)
    r1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(r1 @ s2 @ r1)
    tr_sqrt = np.sqrt(np.clip(inner, 0, None)).sum()
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * tr_sqrt)


def cache_dir() -> Path:
    return Path(os.environ.get("GENLAB_CACHE", Path.home() / ".cache" / "genlab"))


def data_key(ds: Dataset) -> str:
    h = hashlib.sha256(ds.x.numpy().tobytes())
    if ds.y is not None:
        h.update(ds.y.numpy().tobytes())
    return h.hexdigest()[:16]


# Bump when the classifier's code (network, augmentation, training loop) changes: cached
# classifiers are keyed by (data, recipe, this version), so a change never reuses a stale one.
# 3: edge-replicating padding (emoji32's background is white, not -1) and mirror images.
CLASSIFIER_CODE_VERSION = 3

# Data sets whose mirror images stay in their class: a mirrored face or fruit is still one; a
# mirrored digit is not a digit.
MIRROR_INVARIANT = frozenset({"emoji32"})


def classifier_recipe(train: Dataset) -> dict[str, Any]:
    """How the evaluation classifier of a data set is trained (part of its cache key).
    AdamW with a one-cycle schedule, random shifts/rotations/scalings of the training images
    (and mirror images where they keep the class). mnist5k: 30 epochs of batch 64 reach 99 %
    held-out (docs/benchmarks.md, "The evaluation classifier"); 8x8 digits need far less."""
    size = train.shape[-1]
    small = size <= 16
    return {
        "width": 32,
        "feat": 128,
        "epochs": 15 if small else 30,
        "batch": 128 if small else 64,
        "lr": 3e-3,
        "weight_decay": 5e-4,
        "rotate_deg": 10.0,
        "shift_px": 2.0 if size >= 16 else 1.0,
        "scale": 0.1,
        "hflip": train.name in MIRROR_INVARIANT,
        "label_smoothing": 0.1,
        "seed": 0,
    }


def augment(x: torch.Tensor, recipe: dict[str, Any], gen: torch.Generator) -> torch.Tensor:
    """Random affine per image (rotation, isotropic scale, shift, a mirror image half the time
    when the recipe's "hflip" is on), bilinear; pixels shifted in from outside repeat the edge,
    which is the background of every built-in set (black digits, white emoji)."""
    n, size = x.shape[0], x.shape[-1]
    ang = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(recipe["rotate_deg"])
    sc = 1 + (torch.rand(n, generator=gen) * 2 - 1) * recipe["scale"]
    sh = (torch.rand(n, 2, generator=gen) * 2 - 1) * recipe["shift_px"] * 2 / size
    mirror = torch.rand(n, generator=gen) < (0.5 if recipe["hflip"] else 0.0)
    flip = 1.0 - 2.0 * mirror.float()  # -1 negates the x column: x -> -x before rotating
    cos, sin = torch.cos(ang) / sc, torch.sin(ang) / sc
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, sh[:, 0]], 1),
            torch.stack([sin * flip, cos, sh[:, 1]], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="border")


def train_classifier(train: Dataset, recipe: dict[str, Any] | None = None) -> Classifier:
    recipe = recipe or classifier_recipe(train)
    torch.manual_seed(recipe["seed"])
    c, s = train.shape[0], train.shape[1]
    net = Classifier(c, s, train.num_classes, recipe["width"], recipe["feat"])
    opt = torch.optim.AdamW(net.parameters(), lr=recipe["lr"], weight_decay=recipe["weight_decay"])
    batch = recipe["batch"]
    per_epoch = math.ceil(len(train) / batch)
    total = recipe["epochs"] * per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe["lr"], total_steps=total)
    gen = torch.Generator().manual_seed(recipe["seed"])
    net.train()
    for _ in range(recipe["epochs"]):
        perm = torch.randperm(len(train), generator=gen)
        for i in range(per_epoch):
            idx = perm[i * batch : (i + 1) * batch]
            x = augment(train.x[idx], recipe, gen)
            loss = F.cross_entropy(
                net(x),
                train.y[idx],  # type: ignore[index]
                label_smoothing=recipe["label_smoothing"],
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    return net.eval()


def classifier_key(ds: Dataset, recipe: dict[str, Any]) -> str:
    h = hashlib.sha256(data_key(ds).encode())
    h.update(json.dumps(recipe, sort_keys=True).encode())
    h.update(str(CLASSIFIER_CODE_VERSION).encode())
    return h.hexdigest()[:20]


def _classifier_entry(dataset: str, image_size: int | None) -> tuple[Dataset, dict[str, Any], str]:
    """The data set, the recipe of its evaluation classifier and that classifier's cache key."""
    ds = load_dataset(dataset, image_size=image_size)
    if ds.y is None:
        raise_unlabelled(dataset)
    recipe = classifier_recipe(ds.split()[0])
    return ds, recipe, classifier_key(ds, recipe)


def classifier_name(dataset: str, image_size: int | None = None) -> str:
    """The cache key of a data set's evaluation classifier, without training it: zoo cards record
    it, so a number measured by an older classifier is told from one of the current."""
    return _classifier_entry(dataset, image_size)[2]


# The built-in data sets' evaluation classifiers, committed (about 0.6 MB each) like FID's
# Inception weights: trained bit for bit only on one kind of CPU, a classifier retrained on
# another moved the zoo's FDs by up to 8 % under the same key; these give every machine the
# zoo cards' numbers and save the minutes of training.
SHIPPED_CLASSIFIERS = Path(__file__).resolve().parent / "zoo" / "classifiers"


def get_classifier(dataset: str, image_size: int | None = None) -> Classifier:
    """The evaluation classifier for a labelled image data set: the committed one of that key
    (SHIPPED_CLASSIFIERS), else trained once on its training split and cached under
    $GENLAB_CACHE by hash of (data, recipe, code version)."""
    ds, recipe, key = _classifier_entry(dataset, image_size)
    path = cache_dir() / "classifiers" / f"{key}.safetensors"
    net = Classifier(ds.shape[0], ds.shape[1], ds.num_classes, recipe["width"], recipe["feat"])
    for stored in (SHIPPED_CLASSIFIERS / f"{key}.safetensors", path):
        if stored.is_file():
            net.load_state_dict(load_file(stored))
            return net.eval()
    net = train_classifier(ds.split()[0], recipe)
    with atomic_path(path) as tmp:
        save_file(net.state_dict(), tmp)
    return net


def raise_unlabelled(dataset: str) -> None:
    from genlab.errors import ConfigError

    raise ConfigError(f"data set {dataset!r} has no labels; classifier metrics need labels")


@torch.no_grad()
def features(net: Classifier, x: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    net.eval()
    feats, preds = [], []
    for i in range(0, len(x), batch):
        f = net.features(x[i : i + batch])
        feats.append(f)
        preds.append(net.head(f).argmax(1))
    return torch.cat(feats).numpy(), torch.cat(preds).numpy()


def dead_features(net: Classifier, x: torch.Tensor) -> int:
    """Features that never vary over x (always zero, or constant): they add nothing to the FD."""
    f, _ = features(net, x)
    return int((f.std(0) < 1e-6).sum())


def bootstrap_fd(
    f1: np.ndarray, f2: np.ndarray, rounds: int = 200, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """A 95 % interval of the Frechet distance at this n: both feature sets resampled with
    replacement, `rounds` times, and the percentiles of the resampled FDs moved down by their
    bias, mean(resampled) - FD (Efron & Tibshirani 1993, ch. 10). Duplicated points inflate a
    resample's FD (at n = 1,000 on mnist5k by about as much as the spread: the plain percentile
    interval 0.20-0.40 lay wholly above the estimate 0.17), so without the shift the interval
    would not contain the number it is printed beside. It describes the spread of the estimate at
    this n, which carries FD's own upward bias: read it against the real-vs-real floor measured
    at the same n. Never below 0."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    rng = np.random.default_rng(seed)
    # one BLAS thread: on a loaded machine OpenBLAS's spinning threads made 20 rounds of these
    # 128x128 eigendecompositions take 29 s of wall clock instead of 0.6 s (measured here)
    with threadpool_limits(1):
        estimate = frechet_distance(f1, f2)
        vals = np.array(
            [
                frechet_distance(
                    f1[rng.integers(0, len(f1), len(f1))], f2[rng.integers(0, len(f2), len(f2))]
                )
                for _ in range(rounds)
            ]
        )
    bias = float(vals.mean()) - estimate
    lo, hi = np.quantile(vals - bias, [(1 - level) / 2, (1 + level) / 2])
    return max(float(lo), 0.0), max(float(hi), 0.0)


def classifier_scores(
    net: Classifier,
    samples: torch.Tensor,
    reference: torch.Tensor,
    labels: torch.Tensor | None,
    interval: bool = False,
) -> dict[str, float]:
    f_s, pred = features(net, samples)
    f_r, _ = features(net, reference)
    out = {"classifier_fd": frechet_distance(f_s, f_r)}
    if interval:
        out["classifier_fd_ci95_low"], out["classifier_fd_ci95_high"] = bootstrap_fd(f_s, f_r)
    if labels is not None:
        out["class_accuracy"] = float((pred == labels.numpy()).mean())
    return out


@torch.no_grad()
def heldout_denoising_loss(model: Any, data: Dataset, seed: int = 0, batch: int = 250) -> float:
    """DDPM's L_simple on held-out data with the sampling (EMA) weights: the mean of
    ||eps - eps_theta(x_t, t, y)||^2 over one (t, eps) draw per example from a fixed seed, labels
    given (no dropout). Cheap (one network call per example); lower is better; it is the
    weighted denoising term of the ELBO, comparable only between models of the same schedule."""
    from genlab.diffusion import q_sample

    net = model.eps_net()  # a v-model's prediction as eps: the loss compares across both
    gen = torch.Generator().manual_seed(seed)
    total = 0.0
    k = model.num_classes
    for i in range(0, len(data), batch):
        x0 = data.x[i : i + batch]
        y = data.y[i : i + batch] if (k and data.y is not None) else None
        t = torch.randint(0, model.sched.T, (x0.shape[0],), generator=gen)
        eps = torch.randn(x0.shape, generator=gen)
        err = (eps - net(q_sample(model.sched, x0, t, eps), t, y)) ** 2
        total += float(err.flatten(1).mean(1).sum())
    return total / len(data)


def as_displayed(x: torch.Tensor) -> torch.Tensor:
    """Images exactly as the site shows them: clamped to [-1, 1] and rounded to 8 bits."""
    from genlab.data import images_to_uint8

    u = torch.from_numpy(images_to_uint8(x)).permute(0, 3, 1, 2).float()
    return u / 255 * 2 - 1


def evaluate(
    ckpt: Any,
    n: int = 1000,
    sampler: str | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int = 0,
    eta: float | None = None,
    clip_sample: bool = False,
    iwae_k: int = 500,
    variance: str = "beta",
    classifier: bool = True,
) -> dict[str, float]:
    """Metrics for a checkpoint (genlab.checkpoint.Checkpoint) on its held-out split. Images are
    scored as displayed (clamped, 8-bit). FD uses min(n, held-out size) reference images and the
    same number of samples; `real_fd_floor` is the FD of as many training images against the same
    reference (what a perfect model would score at this n). Sampler options left None take
    the family's measured defaults (genlab.sample.sampler_defaults), as the site does.
    ``classifier=False`` skips the classifier scores (and training the classifier, minutes of
    CPU the first time on a data set); the likelihood bounds are still measured."""
    if ckpt.family == "gpt":
        from genlab.gpt import evaluate_text

        return evaluate_text(ckpt, n=min(n, 1000), seed=seed)

    from genlab.recipe import Recipe
    from genlab.sample import fill_defaults, generate_tensor

    opts = fill_defaults(ckpt, sampler, steps, eta, guidance)
    sampler, steps, eta, guidance = opts["sampler"], opts["steps"], opts["eta"], opts["guidance"]

    cfg, spec, model = ckpt.config, ckpt.spec, ckpt.model
    ds = load_dataset(cfg.dataset, image_size=cfg.image_size)
    train, val = ds.split()  # offline tool (CLI, bench/): the whole held-out split, as published
    out: dict[str, float] = {}
    k = spec.num_classes
    if spec.kind == "image" and ds.y is not None:
        n = min(n, len(val), len(train))
    labels = tuple(int(i) % k for i in range(n)) if k else None
    recipe = Recipe(
        ckpt.sha256,
        sampler=sampler,
        steps=steps,
        eta=eta,
        guidance=guidance if k else 0.0,
        seed=seed,
        labels=labels,
        count=n,
        clip_sample=clip_sample,
        variance=variance,
    )
    if spec.kind == "image" and ds.y is not None and not classifier:
        x = None
    else:
        x = generate_tensor(recipe, ckpt)
    if x is None:
        pass
    elif spec.kind == "points":
        out["mmd2"] = mmd2_unbiased(x, val.x[:n])
    elif ds.y is not None:
        net = get_classifier(cfg.dataset, cfg.image_size)
        ref = val.x[:n]
        out["n"] = float(n)
        out.update(
            classifier_scores(
                net, as_displayed(x), ref, torch.tensor(labels) if labels else None, True
            )
        )
        floor = classifier_scores(net, train.x[:n], ref, None)
        out["real_fd_floor"] = floor["classifier_fd"]
        _, acc_pred = features(net, val.x)
        out["classifier_val_accuracy"] = float((acc_pred == val.y.numpy()).mean())  # type: ignore[union-attr]
        out["classifier_dead_features"] = float(dead_features(net, ds.x))
    if cfg.family == "vae":
        out["heldout_elbo_nats"] = model.heldout_elbo(val)
        if iwae_k:
            out["heldout_iwae_nll_nats"] = model.heldout_iwae_nll(val, k=iwae_k)
            out["iwae_k"] = float(iwae_k)
    if cfg.family == "latent":
        out["autoencoder_heldout_elbo_nats"] = model.autoencoder_heldout_elbo(val)
    if cfg.family == "diffusion":
        out["heldout_denoising_loss"] = heldout_denoising_loss(model, val)
    return out
