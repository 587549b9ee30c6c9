"""The emoji32 data set (npm emoji-datasource-twitter) and 3x32x32 images in every family."""

import pytest
import torch

from genlab import emoji
from genlab.config import resolve_config
from genlab.data import dataset_licence, list_datasets, load_dataset
from genlab.errors import DatasetError
from genlab.train import train


def _installed() -> bool:
    try:
        emoji.find_package()
    except DatasetError:
        return False
    return True


needs_package = pytest.mark.skipif(not _installed(), reason="npm emoji-datasource-twitter absent")


def test_a_missing_package_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GENLAB_NPM_DIR", str(tmp_path))
    with pytest.raises(DatasetError, match="needs the npm package emoji-datasource-twitter"):
        emoji.find_package()


def test_licence_and_listing() -> None:
    assert "emoji32" in {d["name"] for d in list_datasets()}
    info = dataset_licence("emoji32")
    assert "CC-BY-4.0" in info["licence"] and "Twemoji" in info["attribution"]
    assert dataset_licence("mnist5k")["licence"]
    assert dataset_licence("/some/upload.zip")["source"] == "uploaded"


@needs_package
def test_emoji32_is_class_conditional_colour_and_cached(tmp_path, monkeypatch) -> None:
    emoji._load.cache_clear()  # another test in this process may have loaded it (other cache)
    ds = load_dataset("emoji32")
    assert ds.shape == (3, 32, 32) and len(ds) > 1800
    assert ds.classes == emoji.CATEGORIES and "Component" not in ds.classes
    assert set(ds.y.tolist()) == set(range(9))
    assert ds.x.min() >= -1 and ds.x.max() <= 1
    corner_white = (ds.x[:, :, 0, 0] == 1.0).all(1).float().mean()
    assert corner_white > 0.8  # alpha composited on white (a few emoji fill the square)
    assert (ds.x[:, 0] != ds.x[:, 1]).any()  # colour
    cached = list((emoji._cache_dir()).glob("emoji32-*.npz"))
    assert cached
    train_a, _ = ds.split()
    train_b, _ = load_dataset("emoji32").split()
    assert torch.equal(train_a.y, train_b.y)  # deterministic split


@needs_package
@pytest.mark.parametrize(
    ("family", "opts"),
    [
        ("diffusion", {"base": 8, "T": 50}),
        ("vae", {"width": 8}),
        ("cgan", {"width": 8}),
        ("latent", {"vae_steps": 2, "width": 8, "T": 50}),
    ],
)
def test_every_image_family_trains_on_3x32x32(family, opts, tmp_path) -> None:
    cfg = resolve_config(family, "emoji32", steps=2, batch_size=4, **opts)
    result = train(cfg, out_dir=tmp_path)
    assert result.status == "completed"
