"""Every family trains and samples from the CLI (tiny runs on 8x8 digits and moons)."""

from pathlib import Path

import pytest
from PIL import Image

from genlab.cli import main


@pytest.mark.parametrize(
    ("family", "dataset", "extra"),
    [
        ("gan", "digits", []),
        ("cgan", "digits", []),
        ("wgan-gp", "moons", []),
        ("wgan", "moons", []),
        ("vae", "digits", []),
        ("beta-vae", "moons", []),
        ("diffusion", "digits", ["--set", "base=8", "--set", "T=50"]),
        ("latent", "digits", ["--set", "vae_steps=3", "--set", "T=50"]),
    ],
)
def test_train_then_sample_from_the_cli(
    family: str, dataset: str, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    run = tmp_path / "run"
    assert (
        main(["train", family, "--dataset", dataset, "--steps", "3", "--out", str(run), *extra])
        == 0
    )
    assert "completed at step" in capsys.readouterr().out
    grid = tmp_path / "grid.png"
    args = [
        "sample",
        str(run / "model.safetensors"),
        "--n",
        "4",
        "--steps",
        "5",
        "--out",
        str(grid),
    ]
    if family in ("cgan", "diffusion", "latent"):
        args += ["--label", "2"]
    assert main(args) == 0
    with Image.open(grid) as im:
        assert im.size[0] > 8


def test_cli_resume_extends_a_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = str(tmp_path / "r")
    assert main(["train", "vae", "--dataset", "moons", "--steps", "5", "--out", out]) == 0
    assert (
        main(["train", "vae", "--dataset", "moons", "--resume", "--steps", "9", "--out", out]) == 0
    )
    assert "completed at step 9" in capsys.readouterr().out


def test_cli_bad_input_exits_2_with_a_message(tmp_path: Path, capsys) -> None:
    assert main(["train", "vae", "--dataset", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "unknown data set 'nope'" in capsys.readouterr().err
    assert main(["train", "vae", "--dataset", "moons", "--set", "beta", "--out", "x"]) == 2
    assert main(["sample", str(tmp_path / "missing.safetensors")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
