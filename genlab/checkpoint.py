"""Checkpoints: one safetensors file; the JSON config and metadata live in its header.
Never pickle for weights: pickle files are refused before anything is parsed."""

from __future__ import annotations

import hashlib
import json
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load as st_load
from safetensors.torch import save as st_save

import genlab
from genlab._io import write_bytes_atomic
from genlab.config import TrainConfig
from genlab.errors import CheckpointError, GenlabError
from genlab.family import DataSpec, Family, build_family

FORMAT = "genlab-checkpoint/1"
MAX_HEADER = 16 * 1024 * 1024
MAX_FILE = 2 * 1024**3
ALLOWED_DTYPES = {torch.float32, torch.int64}
# float16 weights (the zoo's `weights_dtype`) load as float32: the samples are those of the
# rounded weights, which is what a recipe made from such a file records
HALF_OK = {torch.float16}


@dataclass
class Checkpoint:
    path: Path
    sha256: str
    config: TrainConfig
    spec: DataSpec
    meta: dict[str, Any]
    model: Family = field(repr=False)

    @property
    def family(self) -> str:
        return self.config.family


def state_tensors(model: Family) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for prefix, module in model.sampling_modules().items():
        for k, v in module.state_dict().items():
            out[f"{prefix}.{k}"] = v.detach().contiguous().clone()
    return out


def save(
    path: str | Path, model: Family, step: int, metrics: dict[str, float] | None = None
) -> str:
    """Write atomically; returns the SHA-256 of the file."""
    meta = {
        "format": FORMAT,
        "genlab_version": genlab.__version__,
        "family": model.cfg.family,
        "dataset": model.cfg.dataset,
        "steps": step,
        "metrics": metrics or {},
        "created": int(time.time()),
        "config": model.cfg.to_dict(),
        "data": model.spec.to_dict(),
    }
    data = st_save(state_tensors(model), metadata={"genlab": json.dumps(meta, sort_keys=True)})
    write_bytes_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def read_header(raw: bytes, name: str) -> dict[str, Any]:
    """Validate the safetensors framing and return its JSON header; refuse pickle and zip."""
    # A safetensors header length can start with b"PK" or 0x80 too; its JSON opens at byte 8.
    framed = raw[8:9] == b"{"
    if raw[:2] == b"PK" and not framed:
        raise CheckpointError(f"{name} is a zip/torch.save (pickle) file; genlab loads safetensors")
    if raw[:1] == b"\x80" and not framed:
        raise CheckpointError(f"{name} is a pickle file; genlab refuses pickle, use safetensors")
    if len(raw) < 10:
        raise CheckpointError(f"{name} is too short to be a safetensors checkpoint")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise CheckpointError(f"{name} is not a valid safetensors file (bad header length)")
    try:
        header = json.loads(raw[8 : 8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{name} is not a valid safetensors file ({exc})") from exc
    if not isinstance(header, dict):
        raise CheckpointError(f"{name} has a malformed safetensors header")
    return header


def load(path: str | Path) -> Checkpoint:
    """Load and validate a genlab checkpoint; the model is ready to sample (eval mode)."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint {str(p)!r} does not exist")
    if p.stat().st_size > MAX_FILE:
        raise CheckpointError(f"{p} is larger than {MAX_FILE} bytes")
    raw = p.read_bytes()
    header = read_header(raw, p.name)
    try:
        meta = json.loads(header.get("__metadata__", {}).get("genlab", "null"))
    except (AttributeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{p.name} has corrupt genlab metadata ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{p.name} is not a genlab checkpoint (foreign safetensors file)")
    try:
        cfg = TrainConfig.from_saved(meta["config"])
        spec = DataSpec.from_dict(meta["data"])
        model = build_family(cfg, spec)
    except GenlabError as exc:
        raise CheckpointError(f"{p.name} has an invalid config: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{p.name} has an invalid config: {exc!r}") from exc
    try:
        tensors = st_load(raw)
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(f"{p.name} is corrupt: {exc}") from exc
    load_tensors(model, tensors, p.name)
    model.eval_mode()
    return Checkpoint(p, hashlib.sha256(raw).hexdigest(), cfg, spec, meta, model)


def load_tensors(model: Family, tensors: dict[str, torch.Tensor], name: str) -> None:
    """Check keys, shapes and dtypes against the model built from the config, then copy."""
    expected = state_tensors(model)
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"{name} does not match its config: missing {missing[:5]}, unexpected {extra[:5]}"
        )
    for k, v in list(tensors.items()):
        if v.dtype in HALF_OK and expected[k].dtype == torch.float32:
            v = tensors[k] = v.float()
        if v.dtype not in ALLOWED_DTYPES or v.dtype != expected[k].dtype:
            raise CheckpointError(f"{name}: tensor {k} has dtype {v.dtype}, expected float32")
        if tuple(v.shape) != tuple(expected[k].shape):
            want = tuple(expected[k].shape)
            raise CheckpointError(f"{name}: tensor {k} has shape {tuple(v.shape)}, expected {want}")
        if v.is_floating_point() and not torch.isfinite(v).all():
            raise CheckpointError(f"{name}: tensor {k} contains NaN or inf")
    for prefix, module in model.sampling_modules().items():
        sd = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        module.load_state_dict(sd, strict=True)
