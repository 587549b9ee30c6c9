"""Checkpoints: round trip, and refusal of pickle, foreign, corrupt and mis-shaped files."""

import json
import pickle
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save
from safetensors.torch import save_file

from genlab.checkpoint import load
from genlab.errors import CheckpointError


def test_round_trip_keeps_config_metadata_and_weights(digits_diffusion: Path) -> None:
    ckpt = load(digits_diffusion)
    assert ckpt.family == "diffusion"
    assert ckpt.meta["dataset"] == "digits" and ckpt.meta["steps"] == 30
    assert ckpt.meta["genlab_version"]
    assert ckpt.spec.shape == (1, 8, 8) and ckpt.spec.num_classes == 10
    raw = st_load(digits_diffusion.read_bytes())
    for k, v in ckpt.model.sampling_modules()["eps_theta"].state_dict().items():
        assert torch.equal(raw[f"eps_theta.{k}"], v)
    assert len(ckpt.sha256) == 64


def test_pickle_files_are_refused_without_unpickling(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.safetensors"
    evil.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(CheckpointError, match="pickle"):
        load(evil)
    zipped = tmp_path / "torch.pt"
    torch.save({"w": torch.zeros(2)}, zipped)
    with pytest.raises(CheckpointError, match="pickle"):
        load(zipped)
    assert not marker.exists()


def test_foreign_safetensors_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not a genlab checkpoint"):
        load(path)


def test_truncated_and_garbage_files_are_refused(digits_diffusion: Path, tmp_path: Path) -> None:
    data = digits_diffusion.read_bytes()
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=r"corrupt|not a valid"):
        load(cut)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(struct.pack("<Q", 10**12) + b"{}")
    with pytest.raises(CheckpointError, match="bad header length"):
        load(junk)
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "missing.safetensors")


def _rewrite(src: Path, dst: Path, edit) -> None:
    data = src.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    meta = json.loads(data[8 : 8 + n])["__metadata__"]
    tensors = st_load(data)
    tensors, meta = edit(tensors, meta)
    dst.write_bytes(st_save(tensors, metadata=meta))


def test_wrong_shapes_missing_keys_and_nan_are_refused(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    def bad_shape(t, m):
        k = next(iter(t))
        t[k] = torch.zeros(*t[k].shape, 2)
        return t, m

    def missing(t, m):
        t.pop(sorted(t)[0])
        return t, m

    def nan(t, m):
        k = sorted(t)[0]
        t[k] = torch.full_like(t[k], float("nan"))
        return t, m

    def bigger_config(t, m):
        g = json.loads(m["genlab"])
        g["config"]["base"] = 16
        return t, {"genlab": json.dumps(g)}

    for edit, pattern in (
        (bad_shape, "has shape"),
        (missing, "missing"),
        (nan, "NaN"),
        (bigger_config, "has shape"),
    ):
        dst = tmp_path / f"{edit.__name__}.safetensors"
        _rewrite(digits_diffusion, dst, edit)
        with pytest.raises(CheckpointError, match=pattern):
            load(dst)
