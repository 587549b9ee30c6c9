"""Image grids, 2-D scatter renderings and atomic PNG writes."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from genlab._io import write_bytes_atomic


def grid(images: np.ndarray, nrow: int | None = None, pad: int = 2) -> np.ndarray:
    """(N, H, W, C) uint8 -> one (H', W', C) uint8 grid."""
    n, h, w, c = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    out = np.zeros((rows * (h + pad) + pad, nrow * (w + pad) + pad, c), dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y0, x0 = pad + r * (h + pad), pad + col * (w + pad)
        out[y0 : y0 + h, x0 : x0 + w] = images[i]
    return out


def scatter(points: torch.Tensor, size: int = 256, extent: float = 3.0) -> np.ndarray:
    """Render 2-D points as dark dots on white, [-extent, extent]^2, (size, size, 3) uint8."""
    img = np.full((size, size, 3), 255, dtype=np.uint8)
    p = points.detach().float().numpy()
    ij = np.round((p + extent) / (2 * extent) * (size - 1)).astype(np.int64)
    ok = (ij >= 0).all(1) & (ij < size).all(1)
    ij = ij[ok]
    img[size - 1 - ij[:, 1], ij[:, 0]] = (20, 60, 160)
    return img


def png_bytes(arr: np.ndarray) -> bytes:
    a = arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def save_png(path: str | Path, arr: np.ndarray) -> None:
    write_bytes_atomic(path, png_bytes(arr))
