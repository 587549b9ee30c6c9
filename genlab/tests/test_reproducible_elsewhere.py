"""A recipe gives the same images on another machine of this build, and after later code changes.

`data/digits-tiny.safetensors` is a real checkpoint committed with the code (41 KB; a
class-conditional diffusion UNet on the 8x8 digits, made once with
`train(resolve_config("diffusion", "digits", steps=40, base=4, T=100, batch_size=32, warmup=5),
out_dir=...)` on one thread). The image hashes below were pinned on the machine that made it, so
every other machine that runs the suite (CI's fresh one, a newcomer's) checks them against a
second machine; and since the file never changes, any code change that would alter what an old
checkpoint draws for an old recipe (a member's "Reproduce and verify" on an old generation) fails
here. A second process also runs the command line with ATen's and oneDNN's CPU kernels forced
down to the plain SSE 4.1 path and one thread: a different instruction set moves the float
samples by ~1e-6, which must not change a single uint8 pixel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genlab.checkpoint import load
from genlab.recipe import Recipe
from genlab.sample import generate, images_sha256

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "data" / "digits-tiny.safetensors"
GOLDEN_SHA256 = "d89e7a4c1896ed1fbbe818d27129e35eab278661d92040db750c6836075c4c9c"

# (sampler, steps, eta, guidance, labels) with seed 5 and 10 images -> images_sha256
PINNED = {
    ("ddim", 20, 0.0, 2.0, "0,1,2,3,4,5,6,7,8,9"): (
        "1ab4d43574c0dadfa5b5c26fbd8a785424694c07d11e8a640bc45a54f2b523dc"
    ),
    ("ddim", 20, 1.0, 0.0, "3"): (
        "172551c22de02f1ca3337f92a4296a7a08055586a8ce89aae6914b9172dcefa2"
    ),
    ("ddpm", 100, 0.0, 1.5, "7"): (
        "1bfd81b4719ee0a2719d2fb68363fbc0bf4f48cacc8bc1ff0e136179ee2f4c88"
    ),
}


def _recipe(sha256: str, sampler: str, steps: int, eta: float, guidance: float, labels: str):
    return Recipe(
        sha256,
        sampler=sampler,
        steps=steps,
        eta=eta,
        guidance=guidance,
        seed=5,
        labels=tuple(int(v) for v in labels.split(",")),
        count=10,
    )


def test_the_committed_checkpoint_is_the_one_the_hashes_were_pinned_with() -> None:
    assert load(GOLDEN).sha256 == GOLDEN_SHA256


@pytest.mark.parametrize("key", list(PINNED))
def test_recipes_draw_the_pinned_images_on_this_machine(key: tuple) -> None:
    ckpt = load(GOLDEN)
    assert images_sha256(generate(_recipe(ckpt.sha256, *key), ckpt)) == PINNED[key]


def test_another_cpu_kernel_path_and_thread_count_draw_the_same_images(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ATEN_CPU_CAPABILITY": "default",
        "ONEDNN_MAX_CPU_ISA": "SSE41",
        "GENLAB_THREADS": "1",
    }
    for (sampler, steps, eta, guidance, labels), expected in PINNED.items():
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "genlab",
                "sample",
                str(GOLDEN),
                "--sampler",
                sampler,
                "--steps",
                str(steps),
                "--eta",
                str(eta),
                "--guidance",
                str(guidance),
                "--seed",
                "5",
                "--label",
                labels,
                "--n",
                "10",
                "--out",
                str(tmp_path / f"{sampler}-{eta}.png"),
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout)
        assert (
            report["recipe_hash"]
            == _recipe(GOLDEN_SHA256, sampler, steps, eta, guidance, labels).hash
        )
        assert report["images_sha256"] == expected, (sampler, eta)
