"""Fine-tuning a text model: the base's tokenizer extended by new characters (known rows kept),
its shape kept, freezing, resume, lineage, and bad input that writes nothing."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from genlab import finetune
from genlab.checkpoint import load
from genlab.cli import main
from genlab.config import gpt_preset, resolve_config
from genlab.errors import ConfigError, DatasetError, GenlabError
from genlab.family import build_family
from genlab.gpt import generate_text
from genlab.train import prepare, train

OLD = "春江花月夜山水風雲雨雪秋冬日月星辰天地人心長短遠近高低明暗清白紅綠黃青"
NEW = "龍鳳麟龜"  # characters the base never saw


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def poems(path: Path, chars: str, n: int, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        verses = ["".join(rng.choice(chars) for _ in range(5)) for _ in range(4)]
        lines.append("".join(v + ("，" if i % 2 == 0 else "。") for i, v in enumerate(verses)))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SHAPE = {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 24}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gpt-base")
    data = poems(root / "old.txt", OLD, 120)
    cfg = resolve_config("gpt", str(data), steps=8, batch_size=8, warmup=2, vocab_size=300, **SHAPE)
    return train(cfg, out_dir=root / "run").checkpoint


@pytest.fixture(scope="module")
def new_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return poems(tmp_path_factory.mktemp("new") / "new.txt", OLD[:10] + NEW, 60, seed=1)


def tune(base: Path, data: Path, **kw):
    # no shape given: a fine-tune takes its base's (the preset's 4 × 128 would not fit)
    opts = {"steps": 6, "batch_size": 8, "base_model": str(base), **kw}
    return resolve_config("gpt", str(data), **opts)


def test_new_characters_extend_the_embedding_and_keep_the_known_rows(
    base: Path, new_data: Path
) -> None:
    cfg, train_ds, _val, spec = prepare(tune(base, new_data))
    old = load(base)
    assert (cfg.block_size, cfg.n_embd, cfg.n_layer) == (24, 16, 2)
    assert cfg.base_sha256 == old.sha256 and cfg.tokenizer == "char"
    old_chars = old.model.tokenizer.chars
    v_old = len(old_chars)
    assert spec.text["base_vocab_size"] == v_old and spec.text["new_characters"] == "".join(
        sorted(NEW)
    )
    model = build_family(cfg, spec)
    assert model.tokenizer.chars == old_chars + "".join(sorted(NEW))  # known ids unchanged
    finetune.apply_base(model, old)
    before = old.model.gpt.transformer.wte.weight
    after = model.gpt.transformer.wte.weight
    assert after.shape[0] == v_old + len(NEW)
    assert torch.equal(after[:v_old], before)
    assert torch.allclose(after[v_old:], before.mean(0).expand(len(NEW), -1))
    base_sd, sd = old.model.gpt.state_dict(), model.gpt.state_dict()
    assert all(torch.equal(sd[k], v) for k, v in base_sd.items() if k != "transformer.wte.weight")
    assert int(train_ds.tokens.max()) >= v_old  # the new characters are in the training stream


def test_a_text_finetune_trains_samples_new_characters_and_records_its_base(
    base: Path, new_data: Path, tmp_path: Path
) -> None:
    result = train(tune(base, new_data), out_dir=tmp_path / "ft")
    ckpt = load(result.checkpoint)
    assert ckpt.config.base_model == str(base) and ckpt.config.base_sha256 == load(base).sha256
    assert ckpt.config.warmup == gpt_preset("quick")["warmup"]  # from the base's weights
    assert "val_bits_per_char" in result.metrics
    text = generate_text(ckpt, prompt="龍鳳", seed=3, length=10)
    assert text.startswith("龍鳳")
    again = train(tune(base, new_data), out_dir=tmp_path / "again")
    a, b = load_file(result.checkpoint), load_file(again.checkpoint)
    assert all(torch.equal(a[k], b[k]) for k in a)  # a fine-tune reproduces bit for bit


def test_freeze_early_keeps_the_frozen_parameters_bit_identical(
    base: Path, new_data: Path, tmp_path: Path
) -> None:
    result = train(tune(base, new_data, freeze_early=True, lr=0.05), out_dir=tmp_path / "f")
    old, new = load_file(base), load_file(result.checkpoint)
    v_old = old["gpt.transformer.wte.weight"].shape[0]
    frozen = [k for k in old if k.startswith(("gpt.transformer.wpe.", "gpt.transformer.h.0."))]
    assert frozen and all(torch.equal(new[k], old[k]) for k in frozen)
    wte_old, wte_new = old["gpt.transformer.wte.weight"], new["gpt.transformer.wte.weight"]
    assert torch.equal(wte_new[:v_old], wte_old)  # the known characters' rows
    assert not torch.equal(wte_new[v_old:], wte_old.mean(0).expand(len(NEW), -1))  # new ones learn
    learning = [k for k in old if k.startswith(("gpt.transformer.h.1.", "gpt.transformer.ln_f"))]
    assert any(not torch.equal(new[k], old[k]) for k in learning)


def test_freezing_without_new_characters_freezes_the_whole_embedding_and_resumes_exactly(
    base: Path, tmp_path: Path
) -> None:
    data = poems(tmp_path / "same.txt", OLD[:12], 60, seed=2)
    full = train(tune(base, data, freeze_early=True, steps=6), out_dir=tmp_path / "full")
    old, new = load_file(base), load_file(full.checkpoint)
    assert torch.equal(new["gpt.transformer.wte.weight"], old["gpt.transformer.wte.weight"])
    train(tune(base, data, freeze_early=True, steps=3), out_dir=tmp_path / "part")
    resumed = train(
        tune(base, data, freeze_early=True, steps=6), out_dir=tmp_path / "part", resume=True
    )
    a, b = load_file(full.checkpoint), load_file(resumed.checkpoint)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_bad_bases_and_data_are_refused_and_nothing_is_written(
    base: Path, new_data: Path, digits_diffusion: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"context \(block_size\) of 24; this run asks for 48"):
        train(tune(base, new_data, block_size=48), out_dir=out)
    with pytest.raises(ConfigError, match="is a diffusion model; it cannot start a gpt run"):
        train(tune(digits_diffusion, new_data), out_dir=out)
    with pytest.raises(ConfigError, match="is a gpt model; it cannot start a diffusion run"):
        train(resolve_config("diffusion", "digits", steps=2, base_model=str(base)), out_dir=out)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(DatasetError, match="contains no text"):
        train(tune(base, empty), out_dir=out)
    one = poems(tmp_path / "one.txt", OLD, 1)
    with pytest.raises(GenlabError, match="at least 2 documents"):
        train(tune(base, one), out_dir=out)
    assert not out.exists()


def test_cli_fine_tunes_a_text_model(base: Path, new_data: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "cli"
    args = ["--dataset", str(new_data), "--base", str(base), "--steps", "3", "--out", str(out)]
    assert main(["train", "gpt", *args, "--freeze-early"]) == 0
    assert "completed at step 3" in capsys.readouterr().out
    assert load(out / "model.safetensors").config.freeze_early
    bad = ["--set", "n_embd=32", "--out", str(tmp_path / "bad")]
    assert main(["train", "gpt", "--dataset", str(new_data), "--base", str(base), *bad]) == 2
    assert "width (n_embd) of 16; this run asks for 32" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_freeze_blocks_keeps_the_first_blocks_and_embeddings_bit_identical(
    base: Path, new_data: Path, tmp_path: Path, capsys
) -> None:
    result = train(tune(base, new_data, freeze_blocks=1, lr=0.05), out_dir=tmp_path / "f")
    old, new = load_file(base), load_file(result.checkpoint)
    v_old = old["gpt.transformer.wte.weight"].shape[0]
    frozen = [k for k in old if k.startswith(("gpt.transformer.wpe.", "gpt.transformer.h.0."))]
    assert frozen and all(torch.equal(new[k], old[k]) for k in frozen)
    assert torch.equal(new["gpt.transformer.wte.weight"][:v_old], old["gpt.transformer.wte.weight"])
    learning = [k for k in old if k.startswith("gpt.transformer.h.1.")]
    assert any(not torch.equal(new[k], old[k]) for k in learning)
    # both blocks: only the final LayerNorm and the new characters' rows learn
    both = train(tune(base, new_data, freeze_blocks=2, lr=0.05), out_dir=tmp_path / "both")
    new = load_file(both.checkpoint)
    assert all(torch.equal(new[k], old[k]) for k in old if k.startswith("gpt.transformer.h."))
    assert not torch.equal(new["gpt.transformer.ln_f.weight"], old["gpt.transformer.ln_f.weight"])
    out = tmp_path / "three"
    with pytest.raises(ConfigError, match="can freeze at most 2 blocks of this model; this run"):
        train(tune(base, new_data, freeze_blocks=3), out_dir=out)
    args = ["--dataset", str(new_data), "--base", str(base), "--steps", "2", "--out", str(out)]
    assert main(["train", "gpt", *args, "--freeze-blocks", "1", "--set", "lr=1e-4"]) == 0
    config = load(out / "model.safetensors").config
    assert config.freeze_blocks == 1 and config.lr == 1e-4 and not config.freeze_early
    capsys.readouterr()
