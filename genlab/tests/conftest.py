import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GENLAB_THREADS", "2")
torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _genlab_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # one cache per session so the evaluation classifier is trained once
    root = tmp_path_factory.getbasetemp() / "genlab-cache"
    monkeypatch.setenv("GENLAB_CACHE", str(root))


@pytest.fixture(scope="session")
def digits_diffusion(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny class-conditional diffusion model on 8x8 digits (quality irrelevant)."""
    from genlab.config import resolve_config
    from genlab.train import train

    cfg = resolve_config(
        "diffusion", "digits", size=8, steps=30, base=8, T=100, batch_size=32, warmup=5
    )
    out = tmp_path_factory.mktemp("digits-diffusion")
    return train(cfg, out_dir=out).checkpoint
