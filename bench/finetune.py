"""Fine-tuning a zoo model vs training from scratch on a small data set of a new class.

Both runs train the same network (the base's architecture, batch, learning rate and warm-up) on
the first --examples items of the data set's training split, one thread, in segments of
--eval-every steps (a resumed run continues bit-identically); after each segment the new class
is scored on held-out data, outside the timed part:

- 2-D points: MMD^2 (genlab.metrics.mmd2_unbiased, 5 bandwidths) of 1,000 samples of the new
  class (the zoo's sampler defaults) against 1,000 held-out points;
- images: the held-out denoising loss L_simple (fixed t and noise) on the validation split.

Prints the quality curve against CPU-seconds (process time of the training only) and the
CPU-seconds each run needs to reach the target: --target, else the best quality the
from-scratch run reaches within its budget. Last line: `bench: finetune ...` with the ratio.

    nice -n 10 env OMP_NUM_THREADS=1 python bench/finetune.py --base moons-diffusion \
        --data swissroll --examples 200 --steps 1500 --eval-every 100
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genlab import metrics, zoo
from genlab.checkpoint import load
from genlab.config import TrainConfig
from genlab.data import load_dataset
from genlab.diffusion import eps_loss
from genlab.recipe import Recipe
from genlab.sample import generate_tensor, sampler_defaults
from genlab.train import train


def quality(ckpt_path: Path, data: str, n: int = 1000) -> float:
    ckpt = load(ckpt_path)
    ds = load_dataset(data, image_size=ckpt.spec.shape[-1] if ckpt.spec.kind == "image" else None)
    _, val = ds.split()
    if ckpt.spec.kind == "points":
        k = ckpt.spec.num_classes
        d = sampler_defaults(ckpt)
        labels = (k - 1,) if k else None  # the new class is the last one
        recipe = Recipe(
            ckpt.sha256,
            sampler=d["sampler"],
            steps=d["steps"],
            eta=d["eta"],
            guidance=d["guidance"] if k else 0.0,
            seed=0,
            labels=labels,
            count=n,
        )
        return metrics.mmd2_unbiased(generate_tensor(recipe, ckpt), val.x[:n])
    model = ckpt.model
    gen = torch.Generator().manual_seed(0)
    k = ckpt.spec.num_classes
    y = torch.full((len(val),), k - 1, dtype=torch.long) if k else None
    with torch.no_grad():
        loss = eps_loss(model.ema.shadow.eval(), model.sched, val.x, y, gen)
    return float(loss)


def run(cfg: TrainConfig, data: str, out: Path, total: int, every: int) -> list[tuple]:
    curve = []
    cpu = 0.0
    for step in range(every, total + 1, every):
        seg = TrainConfig.from_dict({**cfg.to_dict(), "steps": step})
        c0 = time.process_time()
        result = train(seg, out_dir=out, resume=step > every)
        cpu += time.process_time() - c0
        q = quality(result.checkpoint, data)
        curve.append((step, round(cpu, 2), q))
        print(f"  {out.name:<9} step {step:>5}  {cpu:8.1f} CPU-s  quality {q:.5f}", flush=True)
    return curve


def reach(curve: list[tuple], target: float) -> float | None:
    for _, cpu, q in curve:
        if q <= target:
            return cpu
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", default="moons-diffusion", help="zoo model (or checkpoint)")
    p.add_argument("--data", default="swissroll", help="data set of the new class")
    p.add_argument("--examples", type=int, default=200)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--eval-every", dest="every", type=int, default=100)
    p.add_argument("--lr", type=float, help="both runs (default: the base's)")
    p.add_argument("--target", type=float, help="quality to reach (default: scratch's best)")
    p.add_argument("--json", help="write the curves here")
    args = p.parse_args()
    torch.set_num_threads(1)

    base = load(zoo.resolve_base(args.base))
    common = {
        **base.config.to_dict(),
        "dataset": args.data,
        "steps": args.steps,
        "max_examples": args.examples,
        "seed": 0,
        "log_every": 10**9,
        "conditional": None,
    }
    if args.lr:
        common["lr"] = args.lr
    for k in ("base_model", "base_sha256", "freeze_early"):
        common.pop(k, None)
    scratch_cfg = TrainConfig.from_dict(common)
    tuned_cfg = TrainConfig.from_dict({**common, "base_model": args.base})
    load_avg = os.getloadavg()
    print(
        f"base {args.base} ({base.family}, {base.spec.classes}); data {args.data}, "
        f"{args.examples} examples; load {load_avg[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        scratch = run(scratch_cfg, args.data, Path(tmp) / "scratch", args.steps, args.every)
        tuned = run(tuned_cfg, args.data, Path(tmp) / "finetune", args.steps, args.every)
    target = args.target if args.target is not None else min(q for _, _, q in scratch)
    a, b = reach(scratch, target), reach(tuned, target)
    print(f"target quality {target:.5f}: scratch {a} CPU-s, fine-tune {b} CPU-s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"scratch": scratch, "finetune": tuned, "target": target, "load": load_avg},
                indent=1,
            )
        )
    ratio = f"{a / b:.1f}x" if a and b else "n/a"
    print(
        f"bench: finetune base={args.base} data={args.data}/{args.examples} target={target:.4g} "
        f"scratch_cpu_s={a} finetune_cpu_s={b} speedup={ratio} load={load_avg[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
