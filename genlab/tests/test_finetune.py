"""Fine-tuning from a base model: shapes, classes, warm-up, freezing, lineage, reproduction."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from genlab import finetune
from genlab.checkpoint import load
from genlab.cli import main
from genlab.config import resolve_config
from genlab.errors import ConfigError
from genlab.family import build_family
from genlab.train import prepare, train


def _folder(root: Path, classes: dict[str, int], size: int = 8) -> Path:
    rng = np.random.default_rng(0)
    for name, n in classes.items():
        d = root / name if name else root
        d.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            a = (rng.random((size, size)) * 255).astype(np.uint8)
            Image.fromarray(a, "L").save(d / f"{i}.png")
    return root


def _cfg(base: Path, data: Path | str, **kw):
    opts = {"steps": 6, "batch_size": 8, "base_model": str(base), **kw}
    return resolve_config("diffusion", str(data), **opts)


def test_new_classes_extend_the_embedding_and_keep_the_old_rows(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    data = _folder(tmp_path / "data", {"3": 4, "star": 6})
    cfg, train_ds, _, spec = prepare(_cfg(digits_diffusion, data))
    base = load(digits_diffusion)
    assert spec.classes == (*base.spec.classes, "star")
    assert set(train_ds.y.tolist()) <= {3, 10}
    assert cfg.base_sha256 == base.sha256 and cfg.base == base.config.base
    model = build_family(cfg, spec)
    finetune.apply_base(model, base)
    old = base.model.sampling_modules()["eps_theta"].label.table.weight
    new = model.eps_theta.label.table.weight
    assert new.shape[0] == old.shape[0] + 1
    assert torch.equal(new[:10], old[:10])
    assert torch.equal(new[10], old[10]) and torch.equal(new[11], old[10])  # from the null row
    assert torch.equal(model.ema.shadow.label.table.weight, new)


def test_an_unlabelled_folder_is_one_new_class(digits_diffusion: Path, tmp_path: Path) -> None:
    data = _folder(tmp_path / "hearts", {"": 5})
    _, train_ds, _, spec = prepare(_cfg(digits_diffusion, data))
    assert spec.classes[-1] == "hearts" and len(spec.classes) == 11
    assert set(train_ds.y.tolist()) == {10}


def test_incompatible_shapes_and_families_are_refused(digits_diffusion: Path) -> None:
    with pytest.raises(ConfigError, match=r"base model expects 1×8×8 images.*1×28×28"):
        prepare(_cfg(digits_diffusion, "mnist5k"))
    with pytest.raises(ConfigError, match="is a diffusion model; it cannot start a vae run"):
        prepare(resolve_config("vae", "digits", base_model=str(digits_diffusion)))


def test_cli_reports_an_incompatible_base(digits_diffusion: Path, capsys, tmp_path) -> None:
    args = ["--base", str(digits_diffusion), "--steps", "1", "--out", str(tmp_path / "run")]
    code = main(["train", "diffusion", "--dataset", "mnist5k", *args])
    assert code == 2
    assert "base model expects 1×8×8 images" in capsys.readouterr().err
    assert main(["train", "vae", "--dataset", "digits", "--base", "no-such-model"]) == 2
    assert "neither a checkpoint file nor a zoo model" in capsys.readouterr().err


def test_a_finetune_reproduces_records_its_lineage_and_refuses_other_weights(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    data = _folder(tmp_path / "data", {"star": 8})
    a = train(_cfg(digits_diffusion, data), out_dir=tmp_path / "a")
    b = train(_cfg(digits_diffusion, data), out_dir=tmp_path / "b")
    ta, tb = load_file(a.checkpoint), load_file(b.checkpoint)
    assert all(torch.equal(ta[k], tb[k]) for k in ta)
    ckpt = load(a.checkpoint)
    assert ckpt.config.base_model == str(digits_diffusion)
    assert ckpt.config.base_sha256 == load(digits_diffusion).sha256
    assert ckpt.config.warmup == 100  # the preset's warm-up, now from the base's weights
    other = _cfg(digits_diffusion, data, base_sha256="0" * 64)
    with pytest.raises(ConfigError, match="would not reproduce"):
        train(other, out_dir=tmp_path / "c")


def test_resume_of_a_finetune_is_bit_identical(digits_diffusion: Path, tmp_path: Path) -> None:
    data = _folder(tmp_path / "data", {"star": 8})
    full = train(_cfg(digits_diffusion, data, steps=6), out_dir=tmp_path / "full")
    train(_cfg(digits_diffusion, data, steps=3), out_dir=tmp_path / "part")
    resumed = train(_cfg(digits_diffusion, data, steps=6), out_dir=tmp_path / "part", resume=True)
    ta, tb = load_file(full.checkpoint), load_file(resumed.checkpoint)
    assert all(torch.equal(ta[k], tb[k]) for k in ta)


def test_freeze_early_keeps_the_first_layers(digits_diffusion: Path, tmp_path: Path) -> None:
    data = _folder(tmp_path / "data", {"star": 8})
    result = train(_cfg(digits_diffusion, data, freeze_early=True), out_dir=tmp_path / "f")
    base = load_file(digits_diffusion)
    tuned = load_file(result.checkpoint)
    assert torch.equal(tuned["eps_theta.inp.weight"], base["eps_theta.inp.weight"])
    assert torch.equal(
        tuned["eps_theta.down.0.conv1.weight"], base["eps_theta.down.0.conv1.weight"]
    )
    assert not torch.equal(tuned["eps_theta.out.weight"], base["eps_theta.out.weight"])
    with pytest.raises(ConfigError, match="freeze_early needs a base model"):
        resolve_config("diffusion", "digits", freeze_early=True)


def test_gan_vae_and_latent_bases(tmp_path: Path) -> None:
    """A conditional GAN gets new label rows (mean of the known ones); VAE and latent diffusion
    fine-tune with their warm-up; freezing the latent model's first stage keeps its VAE."""
    gan = train(resolve_config("cgan", "moons", steps=3), out_dir=tmp_path / "gan").checkpoint
    tuned = train(
        resolve_config("cgan", "8gaussians", steps=3, base_model=str(gan)), out_dir=tmp_path / "g2"
    )
    ckpt = load(tuned.checkpoint)
    assert ckpt.spec.classes == ("upper", "lower", *(str(i) for i in range(8)))
    vae = train(resolve_config("vae", "moons", steps=3), out_dir=tmp_path / "vae").checkpoint
    v2 = train(
        resolve_config("vae", "swissroll", steps=3, base_model=str(vae)), out_dir=tmp_path / "v2"
    )
    assert load(v2.checkpoint).config.warmup == 1  # no preset warm-up: 10 % of the steps
    opts = {"steps": 3, "vae_steps": 3, "T": 50}
    ldm = train(resolve_config("latent", "moons", **opts), out_dir=tmp_path / "ldm").checkpoint
    frozen = train(
        resolve_config("latent", "moons", **opts, base_model=str(ldm), freeze_early=True),
        out_dir=tmp_path / "l2",
    )
    a, b = load_file(ldm), load_file(frozen.checkpoint)
    assert all(torch.equal(a[k], b[k]) for k in a if k.startswith("vae."))
    assert load(frozen.checkpoint).config.vae_steps == 0


def test_freeze_blocks_keeps_the_first_resolution_levels_bit_identical(
    digits_diffusion: Path, tmp_path: Path
) -> None:
    data = _folder(tmp_path / "data", {"star": 8})
    result = train(_cfg(digits_diffusion, data, freeze_blocks=2), out_dir=tmp_path / "f")
    base, tuned = load_file(digits_diffusion), load_file(result.checkpoint)
    frozen = [k for k in base if k.startswith(("eps_theta.inp.", "eps_theta.down."))]
    assert {k.split(".")[2] for k in frozen if ".down." in k} == {"0", "1"}  # both levels
    assert all(torch.equal(tuned[k], base[k]) for k in frozen)
    learning = [
        k for k in base if k.startswith(("eps_theta.mid1.", "eps_theta.up.", "eps_theta.out"))
    ]
    assert any(not torch.equal(tuned[k], base[k]) for k in learning)
    assert load(result.checkpoint).config.freeze_blocks == 2


def test_more_frozen_blocks_than_the_model_has_are_refused_and_nothing_is_written(
    digits_diffusion: Path, tmp_path: Path, capsys
) -> None:
    data = _folder(tmp_path / "data", {"star": 8})
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="can freeze at most 2 blocks of this model; this run"):
        train(_cfg(digits_diffusion, data, freeze_blocks=3), out_dir=out)
    for bad, message in (
        ({"freeze_blocks": -1}, "freeze_blocks must be >= 0"),
        ({"freeze_blocks": 1, "freeze_early": True}, "not both"),
        ({"freeze_blocks": 1.5}, "must be a whole number"),
    ):
        with pytest.raises(ConfigError, match=message):
            train(_cfg(digits_diffusion, data, **bad), out_dir=out)
    with pytest.raises(ConfigError, match="freeze_blocks needs a base model"):
        resolve_config("diffusion", "digits", freeze_blocks=1)
    args = ["--base", str(digits_diffusion), "--steps", "2", "--out", str(out)]
    assert main(["train", "diffusion", "--dataset", str(data), *args, "--freeze-blocks", "5"]) == 2
    assert "can freeze at most 2 blocks" in capsys.readouterr().err
    assert not out.exists()


def test_configs_without_freeze_blocks_keep_their_json() -> None:
    """Old runs and checkpoints hash as before: freeze_blocks is written only when set."""
    cfg = resolve_config("diffusion", "digits", base_model="moons-diffusion", freeze_early=True)
    assert "freeze_blocks" not in cfg.to_dict() and cfg.to_dict()["freeze_early"] is True
    assert "freeze_blocks" not in resolve_config("diffusion", "digits").to_json()
    tuned = resolve_config("diffusion", "digits", base_model="moons-diffusion", freeze_blocks=2)
    assert tuned.to_dict()["freeze_blocks"] == 2


@pytest.mark.parametrize(
    ("family", "dataset", "opts"),
    [
        ("diffusion", "digits", {"size": 8}),
        ("diffusion", "moons", {}),
        ("latent", "moons", {}),
        ("vae", "digits", {"size": 8}),
        ("vae", "moons", {}),
        ("gan", "digits", {"size": 8}),
        ("gan", "moons", {}),
    ],
)
def test_the_site_s_block_count_is_the_model_s(family: str, dataset: str, opts: dict) -> None:
    """genlab.config.freezable_blocks (what the site offers, from a config alone) counts
    Family.freeze_stages, and early_blocks of them freeze exactly what freeze_early does."""
    from genlab.config import early_blocks, freezable_blocks

    cfg = resolve_config(family, dataset, **opts)
    cfg, _train, _val, spec = prepare(cfg)
    image = spec.kind == "image"
    count = freezable_blocks(family, cfg.to_dict(), image)
    assert count == len(build_family(cfg, spec).freeze_stages()) >= 1
    early, blocks = build_family(cfg, spec), build_family(cfg, spec)
    finetune.freeze(early)
    finetune.freeze(blocks, early_blocks(family, cfg.to_dict(), image))

    def frozen(model) -> set[str]:
        return {
            f"{name}.{p}"
            for name, module in model.trained_modules().items()
            for p, t in module.named_parameters()
            if not t.requires_grad
        }

    assert frozen(early) == frozen(blocks) != set()
