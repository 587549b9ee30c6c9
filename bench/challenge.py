"""The evaluation cost of one challenge entry against the training cost of the run itself,
measured in the same process. Ends with `bench: challenge ...`.

An entry's evaluation (agora/challenges/evaluation.py) does three things: score the checkpoint
under the protocol on the sealed split (`genlab.challenge.score`), rebuild the checkpoint from
the run's recipe (a second training with the same config), and draw the protocol's samples again
from the rebuilt weights. This script trains a run, then times each part in CPU seconds
(`time.process_time`, all threads) and wall seconds, for a 2-D task (moons, MMD²), an image
task (digits, classifier FD; the first scoring also trains and caches the evaluation classifier,
reported apart) and the text task (tang-poems: the quick gpt preset for `--text-steps`, bits per
character of the sealed poems and the form rate of at most 256 samples).

    OMP_NUM_THREADS=1 .venv/bin/python bench/challenge.py
    .venv/bin/python bench/challenge.py --steps 400 --count 1000
    .venv/bin/python bench/challenge.py --tasks tang-poems --text-steps 100 --count 100
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn):
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def one(task_key: str, dataset: str, family: str, steps: int, count: int, threads: int) -> float:
    import torch

    from genlab.challenge import TASKS, Protocol, regenerate_digest, score, weights_digest
    from genlab.checkpoint import load
    from genlab.config import resolve_config
    from genlab.train import train

    torch.set_num_threads(threads)
    kind = TASKS[task_key].kind
    config = resolve_config(family, dataset, "quick", kind=kind, steps=steps, seed=3).to_dict()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        result, train_cpu, train_wall = timed(lambda: train(config, out_dir=a))
        ckpt = load(result.checkpoint)
        protocol = Protocol(seed=0, count=count, samplers=("ddim", "direct"), max_steps=20)
        if kind == "text":  # one text recipe draws at most 256 samples; no sampler choice
            protocol = Protocol(seed=0, count=min(count, 256))
        if kind == "image":  # the classifier is trained once per data set and cached
            _, warm_cpu, _ = timed(lambda: score(ckpt, TASKS[task_key], protocol))
            print(
                f"  {dataset}: first scoring (trains + caches the classifier) {warm_cpu:.2f} s CPU"
            )
        scored, score_cpu, score_wall = timed(lambda: score(ckpt, TASKS[task_key], protocol))
        rebuilt, rebuild_cpu, rebuild_wall = timed(
            lambda: load(train(config, out_dir=b).checkpoint)
        )
        digest, regen_cpu, regen_wall = timed(lambda: regenerate_digest(rebuilt, scored.recipe))
        assert weights_digest(rebuilt) == weights_digest(ckpt), "rebuild not identical"
        assert digest == scored.samples_sha256, "samples not identical"
    evaluation_cpu = score_cpu + rebuild_cpu + regen_cpu
    evaluation_wall = score_wall + rebuild_wall + regen_wall
    print(
        f"  {dataset} ({family}, {steps} steps, {count} samples): training {train_cpu:.2f} s CPU "
        f"({train_wall:.2f} s wall); evaluation {evaluation_cpu:.2f} s CPU "
        f"({evaluation_wall:.2f} s wall) = scoring {score_cpu:.2f} + rebuild {rebuild_cpu:.2f} "
        f"+ regeneration {regen_cpu:.2f}; {scored.metrics}"
    )
    return evaluation_cpu / train_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--text-steps", type=int, default=100, help="tang-poems training steps")
    parser.add_argument(
        "--tasks",
        default="density-2d,conditional-images,tang-poems",
        help="comma-separated: density-2d, conditional-images, tang-poems",
    )
    args = parser.parse_args()
    os.environ.setdefault("GENLAB_CACHE", str(Path(tempfile.gettempdir()) / "genlab-bench-cache"))
    runs = {
        "density-2d": ("moons", "diffusion", args.steps),
        "conditional-images": ("digits", "vae", args.steps),
        "tang-poems": ("tang", "gpt", args.text_steps),
    }
    ratios = []
    for key in args.tasks.split(","):
        dataset, family, steps = runs[key]
        ratio = one(key, dataset, family, steps, args.count, args.threads)
        ratios.append(f"{dataset} {ratio:.2f}x")
    print(
        f"bench: challenge evaluation/training CPU ratio {', '.join(ratios)} "
        "(evaluation = scoring on the sealed split + rebuild from the recipe + regeneration; "
        "peer = training the run itself, same process)"
    )


if __name__ == "__main__":
    main()
