"""The model zoo: base models anyone can sample, fine-tune and compare against.

Each model lives in ``genlab/zoo/models/<name>/``:

- ``recipe.json`` what rebuilds it: the full training config, the thread count training is
  pinned to, the weights dtype, and the reference generation (a small fixed-seed grid);
- ``model.safetensors`` the weights, a genlab checkpoint written canonically (no timestamp, driver
  options dropped), so rebuilding from the recipe gives the same bytes;
- ``card.json`` what building and evaluating measured: the recipe's and the weights' SHA-256,
  the reference samples' SHA-256, CPU-minutes to train (with the machine load), the metrics of
  ``genlab.metrics.evaluate`` and the data set's licence;
- ``reference.png`` the reference grid the card shows.

``verify`` checks the weights' hash and regenerates every reference grid (seconds per model);
``build NAME`` retrains a model from its recipe and compares the weights bit for bit.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genlab.errors import GenlabError

ZOO_DIR = Path(__file__).resolve().parent / "models"
WEIGHTS = "model.safetensors"
RECIPE = "recipe.json"
CARD = "card.json"
REFERENCE_PNG = "reference.png"
# Options of TrainConfig that decide only what the driver reports and writes, never the weights:
# dropped from the canonical weights' metadata and from the recipe hash.
DRIVER_OPTIONS = ("log_every", "sample_every", "checkpoint_every")
DTYPES = ("float32", "float16")


class ZooError(GenlabError):
    """Unknown zoo model, or a zoo file that does not match its card."""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ZooModel:
    """One zoo entry (recipe + card). Paths are absolute; load it with :func:`load_model`."""

    name: str
    title: str
    about: str
    family: str
    dataset: str
    recipe: dict[str, Any]
    card: dict[str, Any]
    directory: Path

    @property
    def weights_path(self) -> Path:
        return self.directory / WEIGHTS

    @property
    def reference_png(self) -> Path:
        return self.directory / REFERENCE_PNG

    @property
    def recipe_sha256(self) -> str:
        return recipe_hash(self.recipe)

    @property
    def weights_sha256(self) -> str:
        return str(self.card.get("weights_sha256", ""))

    @property
    def reference(self) -> dict[str, Any]:
        """The reference generation's options (a genlab.recipe.Recipe without the hash)."""
        return dict(self.recipe["reference"])

    @property
    def metrics(self) -> dict[str, float]:
        return dict(self.card.get("metrics", {}))

    @property
    def cpu_minutes(self) -> float | None:
        return self.card.get("train", {}).get("cpu_minutes")

    @property
    def licence(self) -> dict[str, str]:
        return dict(self.card.get("dataset", {}))

    @property
    def built(self) -> bool:
        return self.weights_path.is_file() and bool(self.weights_sha256)

    def to_dict(self) -> dict[str, Any]:
        """Everything a model card shows (JSON-ready)."""
        return {
            "name": self.name,
            "title": self.title,
            "about": self.about,
            "family": self.family,
            "dataset": self.dataset,
            "recipe": self.recipe,
            "recipe_sha256": self.recipe_sha256,
            "weights": str(self.weights_path),
            "weights_sha256": self.weights_sha256,
            "reference_png": str(self.reference_png),
            **{k: v for k, v in self.card.items() if k not in ("recipe_sha256",)},
        }


def cpu_kind() -> str:
    """The CPU's vendor and the kernels PyTorch picks on it (``GenuineIntel AVX512``,
    ``AuthenticAMD AVX2``). Training is bit for bit only between CPUs of one kind: measured
    2026-12-03, ``moons-diffusion`` built on an AMD AVX2 machine retrains to other weights on an
    Intel AVX-512 one, with any of MKL_CBWR, ONEDNN_MAX_CPU_ISA or ATEN_CPU_CAPABILITY set
    (matrix products round differently), while sampling from the same weights agrees to the
    8-bit level (see verify's tolerance)."""
    import torch

    vendor = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("vendor_id"):
                vendor = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{vendor} {torch.backends.cpu.get_cpu_capability()}"


def recipe_hash(recipe: dict[str, Any]) -> str:
    """SHA-256 of the recipe's canonical JSON, driver options left out."""
    r = json.loads(json.dumps(recipe))
    for k in DRIVER_OPTIONS:
        r.get("config", {}).pop(k, None)
    return sha256_bytes(canonical_json(r).encode())


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ZooError(f"{path} is unreadable: {exc}") from exc


def _entry(directory: Path) -> ZooModel:
    recipe = _read_json(directory / RECIPE)
    card = _read_json(directory / CARD) if (directory / CARD).is_file() else {}
    cfg = recipe["config"]
    return ZooModel(
        name=recipe["name"],
        title=recipe.get("title", recipe["name"]),
        about=recipe.get("about", ""),
        family=cfg["family"],
        dataset=cfg["dataset"],
        recipe=recipe,
        card=card,
        directory=directory,
    )


def list_models(root: Path | None = None) -> list[ZooModel]:
    """Every zoo model, in name order (those without weights yet too: see ZooModel.built)."""
    base = root or ZOO_DIR
    if not base.is_dir():
        return []
    return [_entry(d) for d in sorted(base.iterdir()) if (d / RECIPE).is_file()]


def get_model(name: str, root: Path | None = None) -> ZooModel:
    for m in list_models(root):
        if m.name == name:
            return m
    names = ", ".join(m.name for m in list_models(root)) or "none"
    raise ZooError(f"no zoo model {name!r}; the zoo has: {names}")


def weights_sha256(path: Path) -> str:
    return sha256_bytes(path.read_bytes())


def load_model(name: str, *, check: bool = True, root: Path | None = None):
    """The zoo model as a genlab.checkpoint.Checkpoint, ready to sample (eval mode). With
    ``check`` the weights' hash must be the one on the card."""
    from genlab.checkpoint import load

    entry = get_model(name, root)
    if not entry.built:
        raise ZooError(f"zoo model {name!r} has no weights yet; run: python -m genlab zoo build")
    if check:
        got = weights_sha256(entry.weights_path)
        if got != entry.weights_sha256:
            raise ZooError(
                f"zoo model {name!r}: weights sha256 {got[:12]} is not the card's "
                f"{entry.weights_sha256[:12]}"
            )
    return load(entry.weights_path)


def resolve_base(name_or_path: str) -> Path:
    """A fine-tune's base: a zoo model name or a checkpoint path."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    names = {m.name: m for m in list_models()}
    if name_or_path in names and names[name_or_path].built:
        return names[name_or_path].weights_path
    known = ", ".join(sorted(names)) or "none"
    raise ZooError(
        f"base model {name_or_path!r} is neither a checkpoint file nor a zoo model ({known})"
    )


# ---------- canonical weights ----------


def canonical_weights(
    ckpt_path: Path, dtype: str = "float32", config_steps: int | None = None
) -> bytes:
    """A genlab checkpoint's tensors written canonically: the config without driver options,
    no timestamp, no training metrics, tensors cast to ``dtype`` (floating ones only).
    ``config_steps`` sets the config's step count (a checkpoint adopted mid-run: see adopt)."""
    import torch
    from safetensors.torch import load as st_load
    from safetensors.torch import save as st_save

    from genlab.checkpoint import read_header

    if dtype not in DTYPES:
        raise ZooError(f"weights dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    raw = ckpt_path.read_bytes()
    meta = json.loads(read_header(raw, ckpt_path.name)["__metadata__"]["genlab"])
    for k in DRIVER_OPTIONS:
        meta["config"].pop(k, None)
    meta["created"] = 0
    meta["metrics"] = {}
    if config_steps is not None:
        meta["config"]["steps"] = config_steps
    tensors = st_load(raw)
    if dtype == "float16":
        tensors = {
            k: v.to(torch.float16) if v.is_floating_point() else v for k, v in tensors.items()
        }
    return st_save(tensors, metadata={"genlab": json.dumps(meta, sort_keys=True)})


# ---------- reference samples ----------


def reference_recipe(entry: ZooModel, checkpoint_sha256: str):
    from genlab.recipe import Recipe

    return Recipe(checkpoint_sha256, **entry.reference)


def reference_images(entry: ZooModel, weights: Path | None = None):
    """(images uint8 (N, H, W, C), recipe) of the reference generation."""
    import torch

    from genlab.checkpoint import load
    from genlab.sample import generate

    torch.set_num_threads(int(entry.recipe.get("threads", 1)))
    ckpt = load(weights or entry.weights_path)
    recipe = reference_recipe(entry, ckpt.sha256)
    return generate(recipe, ckpt), recipe


def images_sha256(images) -> str:
    from genlab.sample import images_sha256 as digest

    return digest(images)


IMAGE_FAMILIES = ("gan", "vae", "diffusion", "latent")
REFERENCE_TXT = "reference.txt"


def reference_texts(entry: ZooModel, weights: Path | None = None) -> list[str]:
    """The reference generation of a model of another family (text): the family's module
    ``genlab.<family>`` provides ``zoo_reference(checkpoint_path, reference) -> list[str]``."""
    import importlib

    import torch

    torch.set_num_threads(int(entry.recipe.get("threads", 1)))
    try:
        module = importlib.import_module(f"genlab.{entry.family}")
        hook = module.zoo_reference
    except (ImportError, AttributeError) as exc:
        raise ZooError(f"family {entry.family!r} has no zoo_reference hook: {exc}") from exc
    return [str(t) for t in hook(weights or entry.weights_path, dict(entry.reference))]


def texts_sha256(texts: list[str]) -> str:
    """The texts' hash as the site and ``genlab.gpt`` compute it (genlab.gpt.texts_sha256), so a
    generation the site makes from the same recipe compares with the card."""
    return sha256_bytes(json.dumps(texts, ensure_ascii=False).encode())


def stored_reference(entry: ZooModel) -> Any:
    """The reference output the build stored, without sampling anything: the uint8 images cut
    back out of ``reference.png`` (N, H, W, C), or the card's texts; None when there is none, or
    when its SHA-256 is not the card's ``reference_sha256`` (then sample it: reference_digest)."""
    want = entry.card.get("reference_sha256")
    if not want:
        return None
    if entry.family not in IMAGE_FAMILIES:
        texts = entry.card.get("reference_texts")
        if not isinstance(texts, list) or texts_sha256([str(t) for t in texts]) != want:
            return None
        return [str(t) for t in texts]
    import numpy as np
    from PIL import Image

    if not entry.reference_png.is_file():
        return None
    try:
        with Image.open(entry.reference_png) as img:
            png = np.asarray(img)
    except (OSError, ValueError):
        return None
    if png.ndim == 2:
        png = png[..., None]
    shape = list(entry.card.get("data_shape", []))
    if len(shape) != 3:  # 2-D points: the reference is one scatter plot
        images = png[None]
    else:
        c, h, w = shape
        n = int(entry.reference.get("count", 1))
        if n == 1:
            images = png[None]
        else:
            nrow = _nrow(entry) or max(1, math.ceil(math.sqrt(n)))
            pad = 2  # genlab.images.grid
            tiles = []
            for i in range(n):
                r, col = divmod(i, nrow)
                y0, x0 = pad + r * (h + pad), pad + col * (w + pad)
                tiles.append(png[y0 : y0 + h, x0 : x0 + w])
            if any(t.shape != (h, w, c) for t in tiles):
                return None
            images = np.stack(tiles)
    if images_sha256(images) != want:
        return None
    return images


def reference_digest(entry: ZooModel) -> tuple[str, Any]:
    """(SHA-256 of the reference output, the output: uint8 images or texts)."""
    if entry.family in IMAGE_FAMILIES:
        images, _ = reference_images(entry)
        return images_sha256(images), images
    texts = reference_texts(entry)
    return texts_sha256(texts), texts


# ---------- verify ----------


@dataclass
class Check:
    name: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    max_pixel_diff: int | None = None


def verify(
    names: list[str] | None = None, tolerance: int = 0, root: Path | None = None
) -> list[Check]:
    """For each model: the recipe's hash and the weights' hash are the card's, and the reference
    grid regenerated from the committed weights has the card's SHA-256. ``tolerance`` > 0 also
    accepts a grid within that many 8-bit levels of ``reference.png`` (another CPU's float
    rounding); a hash mismatch is still reported."""
    out = []
    entries = [get_model(n, root) for n in names] if names else list_models(root)
    for entry in entries:
        t0 = time.perf_counter()
        check = Check(entry.name, True)
        card = entry.card
        if not entry.built:
            check.ok = False
            check.problems.append("no weights or card: build it first")
            out.append(check)
            continue
        if card.get("recipe_sha256") != entry.recipe_sha256:
            check.ok = False
            check.problems.append(
                f"recipe.json changed since the build (sha256 {entry.recipe_sha256[:12]}, card "
                f"{str(card.get('recipe_sha256'))[:12]})"
            )
        got = weights_sha256(entry.weights_path)
        if got != entry.weights_sha256:
            check.ok = False
            check.problems.append(
                f"weights sha256 {got[:12]} is not the card's {entry.weights_sha256[:12]}"
            )
        else:
            digest, output = reference_digest(entry)
            if digest != card.get("reference_sha256"):
                diff = _diff_to_png(entry, output) if entry.family in IMAGE_FAMILIES else None
                check.max_pixel_diff = diff
                close = diff is not None and diff <= tolerance
                check.ok = check.ok and close
                check.problems.append(
                    f"reference samples sha256 {digest[:12]} is not the card's "
                    f"{str(card.get('reference_sha256'))[:12]} (max difference to reference.png: "
                    f"{diff} levels{', within tolerance' if close else ''})"
                )
            else:
                check.max_pixel_diff = 0
        check.seconds = time.perf_counter() - t0
        out.append(check)
    return out


def _diff_to_png(entry: ZooModel, images) -> int | None:
    import numpy as np
    from PIL import Image

    from genlab.sample import to_grid

    if not entry.reference_png.is_file():
        return None
    ref = np.asarray(Image.open(entry.reference_png))
    new = to_grid(images, _nrow(entry))
    if ref.shape != new.shape:
        return None
    return int(np.abs(ref.astype(np.int16) - new.astype(np.int16)).max())


def _nrow(entry: ZooModel) -> int | None:
    return entry.recipe.get("reference_nrow")


# ---------- build ----------


def train_from_recipe(recipe: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """Train a recipe's config with the pinned thread count; returns the timing and the
    training result. The same call built the committed weights."""
    import torch

    from genlab.config import TrainConfig
    from genlab.train import train

    threads = int(recipe.get("threads", 1))
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        cfg = TrainConfig.from_dict(recipe["config"])
        t0, c0 = time.perf_counter(), time.process_time()
        result = train(cfg, out_dir=out_dir)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    finally:
        torch.set_num_threads(before)
    return {
        "checkpoint": result.checkpoint,
        "wall_s": wall,
        "cpu_s": cpu,
        "load": os.getloadavg(),
        "train_metrics": result.metrics,
    }


@dataclass
class BuildResult:
    name: str
    weights_sha256: str
    identical: bool | None  # None: the card had no weights hash to compare with
    built_on: str | None  # the kind of CPU the card says built it (cpu_kind); None: unrecorded
    cpu_minutes: float
    wall_minutes: float


def build(name: str, *, write: bool = False, root: Path | None = None) -> BuildResult:
    """Retrain a zoo model from its recipe. Compares the canonical weights with the card's hash;
    ``write`` stores the weights, reference grid and card (then run evaluate_card for the
    metrics)."""
    entry = get_model(name, root)
    with tempfile.TemporaryDirectory(prefix=f"zoo-{name}-") as tmp:
        timing = train_from_recipe(entry.recipe, Path(tmp))
        data = canonical_weights(timing["checkpoint"], entry.recipe.get("weights_dtype", "float32"))
    digest = sha256_bytes(data)
    identical = digest == entry.weights_sha256 if entry.weights_sha256 else None
    built_on = entry.card.get("train", {}).get("cpu")
    if write:
        store(entry, data, timing)
    return BuildResult(
        name, digest, identical, built_on, timing["cpu_s"] / 60, timing["wall_s"] / 60
    )


def adopt(
    name: str,
    checkpoint: Path,
    cpu_s: float,
    wall_s: float,
    load: tuple[float, float, float],
    root: Path | None = None,
) -> ZooModel:
    """Adopt a checkpoint written during a longer run of the recipe's config (``genlab train
    --checkpoint-every``): the weights after N steps do not depend on the total step count (no
    learning-rate or EMA schedule looks ahead), so the recipe's ``steps`` becomes N and
    ``build`` reproduces them. The checkpoint's config must be the recipe's but for steps and
    driver options. ``cpu_s``: the run's CPU time up to that checkpoint."""
    from genlab.checkpoint import read_header
    from genlab.config import TrainConfig

    entry = get_model(name, root)
    raw = checkpoint.read_bytes()
    meta = json.loads(read_header(raw, checkpoint.name)["__metadata__"]["genlab"])
    done = int(meta["steps"])
    steps = done - (int(meta["config"].get("vae_steps", 0)) if entry.family == "latent" else 0)
    if steps < 1:
        raise ZooError(f"{checkpoint} is from before the recipe's main training started")
    mine = TrainConfig.from_dict({**entry.recipe["config"], "steps": steps}).to_dict()
    theirs = TrainConfig.from_saved({**meta["config"], "steps": steps}).to_dict()
    for d in (mine, theirs):
        for k in (*DRIVER_OPTIONS, "conditional"):
            d.pop(k, None)
    if mine != theirs:
        diff = sorted(k for k in mine if mine[k] != theirs.get(k))
        raise ZooError(f"{checkpoint} was trained with another config ({', '.join(diff)})")
    recipe = dict(entry.recipe)
    recipe["config"] = {**entry.recipe["config"], "steps": steps}
    from genlab._io import write_bytes_atomic

    text = json.dumps(recipe, indent=2, sort_keys=True) + "\n"
    write_bytes_atomic(entry.directory / RECIPE, text.encode())
    entry = _entry(entry.directory)
    data = canonical_weights(checkpoint, recipe.get("weights_dtype", "float32"), steps)
    timing = {"cpu_s": cpu_s, "wall_s": wall_s, "load": load, "train_metrics": {}}
    return store(entry, data, timing)


def store(entry: ZooModel, weights: bytes, timing: dict[str, Any]) -> ZooModel:
    """Write the weights, the reference grid and a card (keeps metrics measured before for the
    same weights)."""
    import torch

    from genlab.data import dataset_licence
    from genlab.images import save_png
    from genlab.sample import to_grid

    digest = sha256_bytes(weights)
    from genlab._io import write_bytes_atomic

    write_bytes_atomic(entry.weights_path, weights)
    if entry.family in IMAGE_FAMILIES:
        images, recipe = reference_images(entry)
        save_png(entry.reference_png, to_grid(images, _nrow(entry)))
        reference = {
            "reference_recipe": recipe.to_dict(),
            "reference_recipe_sha256": recipe.hash,
            "reference_sha256": images_sha256(images),
        }
    else:
        texts = reference_texts(entry)
        text = "\n\n".join(texts) + "\n"
        write_bytes_atomic(entry.directory / REFERENCE_TXT, text.encode())
        reference = {"reference_sha256": texts_sha256(texts), "reference_texts": texts}
    from genlab.checkpoint import load
    from genlab.nets import count_parameters

    ckpt = load(entry.weights_path)
    params = sum(count_parameters(m) for m in ckpt.model.sampling_modules().values())
    old = entry.card if entry.card.get("weights_sha256") == digest else {}
    load1, load5, load15 = timing["load"]
    card = {
        "recipe_sha256": entry.recipe_sha256,
        "weights_sha256": digest,
        "weights_bytes": len(weights),
        "weights_dtype": entry.recipe.get("weights_dtype", "float32"),
        "parameters": params,
        "classes": list(ckpt.spec.classes),
        "data_shape": list(ckpt.spec.shape),
        **reference,
        "train": {
            "cpu_minutes": round(timing["cpu_s"] / 60, 2),
            "wall_minutes": round(timing["wall_s"] / 60, 2),
            "threads": int(entry.recipe.get("threads", 1)),
            "load_average": [round(load1, 2), round(load5, 2), round(load15, 2)],
            "machine": f"{platform.machine()} {os.cpu_count()} CPUs, shared (see load_average)",
            "cpu": cpu_kind(),
            "torch": torch.__version__,
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
        },
        "train_metrics": timing.get("train_metrics", {}),
        "dataset": {"name": entry.dataset, **dataset_licence(entry.dataset)},
        "metrics": old.get("metrics", {}),
        "evaluation": old.get("evaluation", {}),
    }
    _write_card(entry.directory, card)
    return _entry(entry.directory)


def _write_card(directory: Path, card: dict[str, Any]) -> None:
    from genlab._io import write_bytes_atomic

    write_bytes_atomic(
        directory / CARD, (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()
    )


def evaluate_card(
    name: str,
    n: int = 1000,
    root: Path | None = None,
    iwae_k: int = 500,
    classifier: bool = True,
) -> dict[str, float]:
    """Measure the model with genlab's own evaluate (the site's defaults) and record it."""
    import torch

    from genlab.metrics import classifier_name, evaluate

    entry = get_model(name, root)
    torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "2")))
    ckpt = load_model(name, root=root)
    t0 = time.perf_counter()
    scores = evaluate(ckpt, n=n, iwae_k=iwae_k, classifier=classifier)
    card = dict(entry.card)
    card["metrics"] = {k: round(float(v), 6) for k, v in scores.items()}
    card["evaluation"] = {
        "n": n,
        "iwae_k": iwae_k if entry.family == "vae" else None,
        "classifier_scores": classifier,
        # which evaluation classifier measured the FD (its cache key): numbers from another
        # classifier are not comparable
        "classifier": (
            classifier_name(ckpt.config.dataset, ckpt.config.image_size)
            if "classifier_fd" in scores
            else None
        ),
        "tool": "genlab.metrics.evaluate (sampler defaults: genlab.config.SAMPLER_DEFAULTS)",
        "seconds": round(time.perf_counter() - t0, 1),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    _write_card(entry.directory, card)
    return card["metrics"]
