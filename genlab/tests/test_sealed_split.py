"""The sealed part of a data set's held-out split: challenge scoring reads it, nothing else can."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from genlab.data import load_dataset
from genlab.train import TrainConfig, prepare

ROOT = Path(__file__).resolve().parents[2]


def _rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x}


def test_the_sealed_part_shares_no_item_with_training_or_the_public_held_out_part():
    for name in ("moons", "digits"):
        ds = load_dataset(name)
        train, held = ds.split()
        public, sealed = ds.heldout_parts()
        assert len(public) + len(sealed) == len(held) and len(sealed) == len(held) // 2
        assert not _rows(sealed.x) & _rows(train.x)
        assert not _rows(sealed.x) & _rows(public.x)
        # fixed: the same items every time, whatever the run seeds
        assert torch.equal(ds.heldout_parts()[1].x, sealed.x)


def test_a_training_run_gets_the_training_split_and_the_public_part_only():
    ds = load_dataset("moons")
    sealed = _rows(ds.heldout_parts()[1].x)
    cfg = TrainConfig(family="diffusion", dataset="moons", steps=1)
    _cfg, train, val, _spec = prepare(cfg)
    assert not _rows(train.x) & sealed and not _rows(val.x) & sealed


def test_only_challenge_scoring_reads_the_sealed_part():
    """No page, API, feed, download or training recipe names it: the only code that takes the
    sealed half (`heldout_parts()[1]`, `sealed_split`) is genlab/challenge.py."""
    readers = []
    for path in [*ROOT.joinpath("genlab").rglob("*.py"), *ROOT.joinpath("agora").rglob("*.py")]:
        if "tests" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"heldout_parts\(\)\[1\]|sealed_split\(", text):
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers == ["genlab/challenge.py"]
