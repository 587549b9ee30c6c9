"""The emoji32 data set: Twemoji images from the npm package ``emoji-datasource-twitter``,
class-conditional on their Unicode categories, 32x32 RGB with the alpha channel composited on a
fixed white background.

The package is found in a ``node_modules`` folder: ``$GENLAB_NPM_DIR`` (the node_modules folder
itself) when set, else the first one holding the package walking up from the working directory,
then from this file. The prepared tensor is cached under genlab's cache dir
(``$GENLAB_CACHE``, default ~/.cache/genlab) keyed by the package version and the loader version.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genlab._io import write_bytes_atomic
from genlab.data import Dataset
from genlab.errors import DatasetError

PACKAGE = "emoji-datasource-twitter"
SIZE = 32
BACKGROUND = (255, 255, 255)  # alpha is composited on white at 64 px, then resized
# Unicode emoji categories in the package's order; "Component" (5 skin-tone / hair swatches) is
# dropped: too few images and no subject of their own.
CATEGORIES = (
    "Smileys & Emotion",
    "People & Body",
    "Animals & Nature",
    "Food & Drink",
    "Travel & Places",
    "Activities",
    "Objects",
    "Symbols",
    "Flags",
)
LOADER_VERSION = 1  # bump when the preparation changes: the cache key includes it

# Licence and attribution: genlab.data.LICENCES["emoji32"].


def find_package(start: Path | None = None) -> Path:
    """The installed package folder, or DatasetError saying where it was looked for."""
    env = os.environ.get("GENLAB_NPM_DIR")
    places: list[Path] = []
    if env:
        places.append(Path(env) / PACKAGE)
    else:
        for root in (Path(start or Path.cwd()).resolve(), Path(__file__).resolve().parent):
            places.extend(p / "node_modules" / PACKAGE for p in (root, *root.parents))
    for place in places:
        if (place / "emoji.json").is_file() and (place / "img" / "twitter" / "64").is_dir():
            return place
    where = f"$GENLAB_NPM_DIR={env}" if env else "node_modules above the working directory"
    raise DatasetError(
        f"emoji32 needs the npm package {PACKAGE} (npm install {PACKAGE}); not found in {where}. "
        "Set GENLAB_NPM_DIR to the node_modules folder that holds it."
    )


def _cache_dir() -> Path:
    return Path(os.environ.get("GENLAB_CACHE", Path.home() / ".cache" / "genlab")) / "data"


def prepare(package: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(N, 3, 32, 32) uint8 pixels, (N,) int64 labels and the emoji short names, in the order of
    the package's sort_order (a fixed order: the split only depends on it)."""
    try:
        table = json.loads((package / "emoji.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{package / 'emoji.json'} is unreadable: {exc}") from exc
    index_of = {c: i for i, c in enumerate(CATEGORIES)}
    rows = sorted(
        (e for e in table if e.get("has_img_twitter") and e.get("category") in index_of),
        key=lambda e: (int(e.get("sort_order", 0)), e["image"]),
    )
    img_dir = package / "img" / "twitter" / "64"
    pixels = np.empty((len(rows), 3, SIZE, SIZE), np.uint8)
    labels = np.empty(len(rows), np.int64)
    names = []
    for i, e in enumerate(rows):
        path = img_dir / e["image"]
        try:
            im = Image.open(path)
            im.load()
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path} is not a readable image: {exc}") from exc
        rgba = im.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (*BACKGROUND, 255))
        canvas.alpha_composite(rgba)
        rgb = canvas.convert("RGB").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
        pixels[i] = np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)
        labels[i] = index_of[e["category"]]
        names.append(e.get("short_name") or e["image"])
    if not len(rows):
        raise DatasetError(f"{package} lists no Twitter emoji images")
    return pixels, labels, names


def _version(package: Path) -> str:
    try:
        return str(json.loads((package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


@functools.lru_cache(maxsize=2)
def _load(package: str) -> tuple[np.ndarray, np.ndarray]:
    pkg = Path(package)
    key = hashlib.sha256(f"{pkg.resolve()}|{_version(pkg)}|{LOADER_VERSION}".encode()).hexdigest()
    cache = _cache_dir() / f"emoji32-{_version(pkg)}-v{LOADER_VERSION}-{key[:12]}.npz"
    if cache.is_file():
        try:
            with np.load(cache) as z:
                return z["x"], z["y"]
        except (OSError, ValueError, KeyError):
            pass  # a corrupt cache is rebuilt
    x, y, _ = prepare(pkg)
    buf = io.BytesIO()
    np.savez(buf, x=x, y=y)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(cache, buf.getvalue())
    except OSError:
        pass  # a read-only cache only costs the preparation next time
    return x, y


def emoji32() -> Dataset:
    x, y = _load(str(find_package()))
    t = torch.from_numpy(x.astype(np.float32) / 255.0 * 2 - 1)
    return Dataset("emoji32", "image", t.contiguous(), torch.from_numpy(y.copy()), CATEGORIES)
