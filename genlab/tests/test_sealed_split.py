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
    sealed half (`heldout_parts()[1]`, `sealed_split`, `sealed_texts` for text corpora) is
    genlab/challenge.py."""
    readers = []
    for path in [*ROOT.joinpath("genlab").rglob("*.py"), *ROOT.joinpath("agora").rglob("*.py")]:
        if "tests" in path.parts:
            continue
        text = path.read_text()
        if re.search(r"heldout_parts\(\)\[1\]|sealed_split\(|sealed_texts\(", text):
            readers.append(path.relative_to(ROOT).as_posix())
    assert readers == ["genlab/challenge.py"]


def test_an_emoji_entry_is_scored_on_the_sealed_emoji_and_its_samples_regenerate(
    tmp_path, monkeypatch
):
    """The conditional-emoji task: a tiny class-conditional diffusion model on emoji32, sampled
    under a small protocol, scored by the emoji classifier on the sealed part."""
    from genlab import metrics
    from genlab.challenge import TASKS, Protocol, regenerate_digest, score
    from genlab.checkpoint import load
    from genlab.config import resolve_config
    from genlab.train import train

    full = metrics.classifier_recipe
    # the classifier's quality is not under test here: one epoch (its own cache key), not the
    # two CPU-minutes of the real one
    monkeypatch.setattr(metrics, "classifier_recipe", lambda split: {**full(split), "epochs": 1})

    task = TASKS["conditional-emoji"]
    assert task.datasets == ("emoji32",) and task.better("class_accuracy") == "higher"
    cfg = resolve_config("diffusion", "emoji32", steps=2, batch_size=4, base=8, T=50)
    ckpt = load(train(cfg, out_dir=tmp_path).checkpoint)
    scored = score(ckpt, task, Protocol(seed=1, count=20, max_steps=3), sampler="ddim", steps=3)
    assert set(scored.metrics) == {"classifier_fd", "class_accuracy"}
    assert 0.0 <= scored.metrics["class_accuracy"] <= 1.0
    assert len(scored.recipe.labels) == 20 and len(set(scored.recipe.labels)) > 1
    assert regenerate_digest(ckpt, scored.recipe) == scored.samples_sha256


# ----------------------------------------------------------------------------- text corpora

# The zoo's tang-gpt recipe's training data, measured on main before text corpora had a sealed
# part: the token stream every Tang run trains on, and the data spec its checkpoint stores.
TANG_TRAIN_TOKENS_SHA256 = "b972a0a2435498b0e4321ad5edb4156bd596edad1e1a5f5e4a227bad9244e0a3"
TANG_SPEC_SHA256 = "0fabd6e9ad760fcb35a16ae8faa95bd521b3e37a6407b3f9cfb9149a31ae5cfa"


def test_the_sealed_poems_are_carved_out_of_the_held_out_poems_by_their_hash():
    import hashlib

    from genlab.text import SEALED_SALT, load_corpus

    corpus = load_corpus("tang")
    train, held = corpus.split()
    public, sealed = corpus.heldout_parts()
    assert sorted(public + sealed) == sorted(held)  # the training split is untouched
    assert not set(sealed) & set(train) and not set(sealed) & set(public)
    assert 0.4 < len(sealed) / len(held) < 0.6
    # fixed by each poem's text alone
    assert all(hashlib.sha256(SEALED_SALT + p.encode()).digest()[0] % 2 == 0 for p in sealed)
    assert corpus.heldout_parts() == (public, sealed)


def test_a_members_text_file_keeps_its_whole_held_out_split_public(tmp_path):
    from genlab.text import load_corpus

    path = tmp_path / "lines.txt"
    path.write_text("\n".join(f"line {i}" for i in range(100)), encoding="utf-8")
    corpus = load_corpus(str(path))
    assert corpus.heldout_parts() == (corpus.split()[1], [])


def test_a_tang_run_trains_on_the_same_tokens_as_before_and_never_sees_a_sealed_poem():
    """The zoo's tang-gpt recipe: the training token stream and the data spec are bit for bit
    what they were before the sealed part existed (so its weights rebuild identically), and
    neither the training stream nor the run's validation stream holds a sealed poem."""
    import hashlib
    import json

    from genlab.text import SEP, Tokenizer, load_corpus, prepare_text
    from genlab.zoo import get_model

    config = TrainConfig.from_dict(get_model("tang-gpt").recipe["config"])
    _cfg, train, val, spec = prepare_text(config)
    assert hashlib.sha256(train.tokens.numpy().tobytes()).hexdigest() == TANG_TRAIN_TOKENS_SHA256
    spec_json = json.dumps(spec.text, sort_keys=True, ensure_ascii=False)
    assert hashlib.sha256(spec_json.encode()).hexdigest() == TANG_SPEC_SHA256
    tok = Tokenizer.from_json(spec.text["tokenizer"])
    sealed = set(load_corpus("tang").heldout_parts()[1])
    for stream in (train, val):
        documents = set(tok.decode(stream.tokens.tolist()).split(SEP))
        assert not documents & sealed
    assert val.documents > 300  # the public half still validates the run


def test_a_tang_entry_is_scored_on_the_sealed_poems_and_its_texts_regenerate(tmp_path):
    """The tang-poems task: a tiny gpt scored under a small protocol, bits per character of the
    sealed poems and the form rate of its samples; the texts regenerate bit for bit; a model
    whose vocabulary cannot write the sealed poems, or an image model, is refused by name."""
    import pytest

    from genlab.challenge import TASKS, Protocol, evaluation_texts, regenerate_digest, score
    from genlab.checkpoint import load
    from genlab.config import resolve_config
    from genlab.errors import RecipeError
    from genlab.gpt import TEXT_DEFAULTS
    from genlab.text import load_corpus
    from genlab.train import train

    defaults = Protocol()  # the site's text protocol: the lab's own sampler defaults
    assert (defaults.temperature, defaults.top_k, defaults.top_p) == (
        TEXT_DEFAULTS["temperature"],
        TEXT_DEFAULTS["top_k"],
        TEXT_DEFAULTS["top_p"],
    )
    task = TASKS["tang-poems"]
    assert task.datasets == ("tang",) and task.better("bits_per_char") == "lower"
    assert task.better("form_rate") == "higher"
    poems = evaluation_texts("tang")
    assert len(poems) > 300 and set(poems) <= set(load_corpus("tang").heldout_parts()[1])

    def tiny(vocab: int):
        cfg = resolve_config(
            "gpt",
            "tang",
            steps=2,
            batch_size=4,
            n_layer=1,
            n_head=2,
            n_embd=16,
            block_size=32,
            vocab_size=vocab,
            warmup=1,
        )
        return load(train(cfg, out_dir=tmp_path / str(vocab)).checkpoint)

    ckpt = tiny(3000)
    protocol = Protocol(seed=3, count=12, length=40)
    scored = score(ckpt, task, protocol)
    assert set(scored.metrics) == {"bits_per_char", "form_rate"}
    assert 0 < scored.metrics["bits_per_char"] < 20 and 0 <= scored.metrics["form_rate"] <= 1
    assert scored.recipe.count == 12 and scored.recipe.seed == 3 and scored.recipe.length == 40
    assert regenerate_digest(ckpt, scored.recipe) == scored.samples_sha256
    with pytest.raises(RecipeError, match="protocol's settings"):
        score(ckpt, task, protocol, sampler="ddim")
    with pytest.raises(RecipeError, match=r"lacks \d+ of them"):
        score(tiny(1500), task, protocol)
    points = resolve_config("diffusion", "moons", steps=1)
    with pytest.raises(RecipeError, match="takes models of tang"):
        score(load(train(points, out_dir=tmp_path / "moons").checkpoint), task, protocol)
