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


def test_an_emoji_entry_is_scored_on_the_sealed_emoji_and_its_samples_regenerate(tmp_path):
    """The conditional-emoji task: a tiny class-conditional diffusion model on emoji32, sampled
    under a small protocol, scored by the emoji classifier on the sealed part."""
    from genlab.challenge import TASKS, Protocol, regenerate_digest, score
    from genlab.checkpoint import load
    from genlab.config import resolve_config
    from genlab.train import train

    task = TASKS["conditional-emoji"]
    assert task.datasets == ("emoji32",) and task.better("class_accuracy") == "higher"
    cfg = resolve_config("diffusion", "emoji32", steps=2, batch_size=4, base=8, T=50)
    ckpt = load(train(cfg, out_dir=tmp_path).checkpoint)
    scored = score(ckpt, task, Protocol(seed=1, count=20, max_steps=3), sampler="ddim", steps=3)
    assert set(scored.metrics) == {"classifier_fd", "class_accuracy"}
    assert 0.0 <= scored.metrics["class_accuracy"] <= 1.0
    assert len(scored.recipe.labels) == 20 and len(set(scored.recipe.labels)) > 1
    assert regenerate_digest(ckpt, scored.recipe) == scored.samples_sha256
