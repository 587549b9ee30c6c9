"""Built-in data sets, deterministic splits, image folders and hostile zips."""

import io
import zipfile
from pathlib import Path

import pytest
import torch
from PIL import Image

from genlab.data import list_datasets, load_dataset
from genlab.errors import DatasetError


def _png(color: int, size: tuple[int, int] = (12, 10), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, color if mode == "L" else (color, 0, 255 - color)).save(buf, "PNG")
    return buf.getvalue()


def test_builtin_data_sets_load_without_download() -> None:
    names = {d["name"] for d in list_datasets()}
    assert {"mnist5k", "digits", "moons", "swissroll", "8gaussians", "checkerboard"} <= names
    mnist = load_dataset("mnist5k")
    assert mnist.x.shape == (5000, 1, 28, 28) and mnist.num_classes == 10
    assert mnist.x.min() == -1 and mnist.x.max() == 1
    assert torch.bincount(mnist.y).tolist() == [500] * 10
    digits = load_dataset("digits")
    assert digits.x.shape == (1797, 1, 8, 8)
    for toy in ("moons", "swissroll", "8gaussians", "checkerboard"):
        assert load_dataset(toy).x.shape == (5000, 2)


def test_split_is_deterministic_and_disjoint() -> None:
    ds = load_dataset("digits")
    tr1, va1 = ds.split()
    tr2, va2 = ds.split()
    assert torch.equal(va1.x, va2.x) and torch.equal(tr1.y, tr2.y)
    assert len(tr1) + len(va1) == len(ds)
    rows = {tuple(r) for r in tr1.x.flatten(1).tolist()}
    overlap = sum(tuple(r) in rows for r in va1.x.flatten(1).tolist())
    assert overlap < len(va1) * 0.05  # sklearn digits has a few duplicate images


def test_image_folder_with_class_subfolders_is_resized_and_labelled(tmp_path: Path) -> None:
    for cls, color in (("cats", 10), ("dogs", 200)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            (tmp_path / cls / f"{i}.png").write_bytes(_png(color + i))
    ds = load_dataset(str(tmp_path), image_size=16)
    assert ds.x.shape == (6, 3, 16, 16)
    assert ds.classes == ("cats", "dogs") and ds.y.tolist() == [0, 0, 0, 1, 1, 1]


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def test_zip_of_images_loads_unlabelled(tmp_path: Path) -> None:
    z = _zip(tmp_path / "a.zip", {f"img{i}.png": _png(i * 20, mode="L") for i in range(4)})
    ds = load_dataset(str(z), image_size=8)
    assert ds.x.shape == (4, 1, 8, 8) and ds.y is None


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"ok.png": _png(1), "notes.txt": b"hello"}, "'notes.txt' is not an image"),
        ({"../evil.png": _png(1)}, "escapes the archive"),
        ({"/abs/evil.png": _png(1)}, "escapes the archive"),
        ({"a.png": _png(1)[:40]}, "truncated or corrupt|not a readable image"),
        ({"fake.png": b"GIF89a not really"}, "not a readable image"),
    ],
)
def test_bad_zips_give_a_clear_error(tmp_path: Path, entries: dict, message: str) -> None:
    z = _zip(tmp_path / "bad.zip", entries)
    with pytest.raises(DatasetError, match=message):
        load_dataset(str(z))


def test_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.new("1", (8000, 6000)).save(buf, "PNG")  # 48 Mpixel, a few kB compressed
    z = _zip(tmp_path / "huge.zip", {"huge.png": buf.getvalue()})
    with pytest.raises(DatasetError, match="too large"):
        load_dataset(str(z))


def test_unknown_data_set_names_the_problem() -> None:
    with pytest.raises(DatasetError, match="unknown data set 'cifar'"):
        load_dataset("cifar")
