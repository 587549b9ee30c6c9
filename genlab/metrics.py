"""Evaluation without downloaded weights: a classifier trained here on the same data gives the
Frechet distance in its feature space and the class accuracy of conditional samples; MMD for 2-D
data; held-out ELBO for the VAE."""

from __future__ import annotations

import hashlib
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


def train_classifier(
    train: Dataset, steps: int = 600, batch: int = 64, seed: int = 0
) -> Classifier:
    torch.manual_seed(seed)
    c, s = train.shape[0], train.shape[1]
    net = Classifier(c, s, train.num_classes)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(train), (batch,), generator=gen)
        loss = F.cross_entropy(net(train.x[idx]), train.y[idx])  # type: ignore[index]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return net.eval()


def get_classifier(dataset: str, image_size: int | None = None, steps: int = 600) -> Classifier:
    """The evaluation classifier for a labelled image data set, trained once and cached."""
    ds = load_dataset(dataset, image_size=image_size)
    if ds.y is None:
        raise_unlabelled(dataset)
    train, _ = ds.split()
    path = cache_dir() / "classifiers" / f"{data_key(ds)}-{steps}.safetensors"
    net = Classifier(ds.shape[0], ds.shape[1], ds.num_classes)
    if path.is_file():
        net.load_state_dict(load_file(path))
        return net.eval()
    net = train_classifier(train, steps)
    with atomic_path(path) as tmp:
        save_file(net.state_dict(), tmp)
    return net


def raise_unlabelled(dataset: str) -> None:
    from genlab.errors import ConfigError

    raise ConfigError(f"data set {dataset!r} has no labels; classifier metrics need labels")


@torch.no_grad()
def features(net: Classifier, x: torch.Tensor, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    feats, preds = [], []
    for i in range(0, len(x), batch):
        f = net.features(x[i : i + batch])
        feats.append(f)
        preds.append(net.head(f).argmax(1))
    return torch.cat(feats).numpy(), torch.cat(preds).numpy()


def classifier_scores(
    net: Classifier, samples: torch.Tensor, reference: torch.Tensor, labels: torch.Tensor | None
) -> dict[str, float]:
    f_s, pred = features(net, samples)
    f_r, _ = features(net, reference)
    out = {"classifier_fd": frechet_distance(f_s, f_r)}
    if labels is not None:
        out["class_accuracy"] = float((pred == labels.numpy()).mean())
    return out


def evaluate(
    ckpt: Any,
    n: int = 500,
    sampler: str | None = None,
    steps: int = 50,
    guidance: float = 0.0,
    seed: int = 0,
) -> dict[str, float]:
    """Metrics for a checkpoint (genlab.checkpoint.Checkpoint) on its held-out split."""
    from genlab.recipe import Recipe
    from genlab.sample import generate_tensor

    cfg, spec, model = ckpt.config, ckpt.spec, ckpt.model
    ds = load_dataset(cfg.dataset, image_size=cfg.image_size)
    _, val = ds.split()
    out: dict[str, float] = {}
    k = spec.num_classes
    labels = tuple(int(i) % k for i in range(n)) if k else None
    recipe = Recipe(
        ckpt.sha256,
        sampler=sampler,
        steps=steps,
        guidance=guidance if k else 0.0,
        seed=seed,
        labels=labels,
        count=n,
    )
    x = generate_tensor(recipe, ckpt)
    if spec.kind == "points":
        out["mmd2"] = mmd2_unbiased(x, val.x[:n])
    elif ds.y is not None:
        net = get_classifier(cfg.dataset, cfg.image_size)
        ref = val.x[:n]
        out.update(classifier_scores(net, x, ref, torch.tensor(labels) if labels else None))
        _, acc_pred = features(net, val.x)
        out["classifier_val_accuracy"] = float((acc_pred == val.y.numpy()).mean())  # type: ignore[union-attr]
    if cfg.family == "vae":
        out["heldout_elbo_nats"] = model.heldout_elbo(val)
    return out
