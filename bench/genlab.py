"""genlab benchmarks on this machine (CPU). Prints three figures and ends with `bench: genlab ...`.

1. training throughput (images/s) of genlab's UNet vs diffusers' UNet2DModel with the same
   parameter count (+-10 %) at 28x28, batch 64, and the ratio;
2. DDIM-50 vs DDPM-1000 from the same checkpoint: sampling time and classifier FD;
3. time to quality on mnist5k: CPU minutes until class-conditional diffusion reaches >= 90 %
   conditional accuracy, the conditional GAN the same, the VAE a held-out ELBO >= -110 nats.

    .venv/bin/python bench/genlab.py                 # full run (item 3 takes long)
    .venv/bin/python bench/genlab.py --fast          # reduced settings, minutes
    .venv/bin/python bench/genlab.py --items 1,2 --checkpoint runs/d/model.safetensors
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genlab.checkpoint import load
from genlab.config import resolve_config
from genlab.data import load_dataset
from genlab.diffusion import NoiseSchedule, eps_loss
from genlab.metrics import classifier_scores, get_classifier
from genlab.nets import UNet, count_parameters
from genlab.recipe import Recipe
from genlab.sample import generate_tensor
from genlab.train import Callback, train

DIFFUSERS_CANDIDATES = [(32, 32, 64), (24, 48, 64), (32, 48, 64), (24, 48, 48), (32, 64, 64)]


def diffusers_unet(target: int) -> torch.nn.Module:
    """The UNet2DModel (attention at 7x7 like ours) whose parameter count is closest to target."""
    from diffusers import UNet2DModel

    best = None
    for ch in DIFFUSERS_CANDIDATES:
        m = UNet2DModel(
            sample_size=28,
            in_channels=1,
            out_channels=1,
            block_out_channels=ch,
            layers_per_block=1,
            norm_num_groups=8,
            num_class_embeds=11,
            down_block_types=("DownBlock2D", "DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D", "UpBlock2D"),
        )
        gap = abs(count_parameters(m) - target) / target
        if best is None or gap < best[0]:
            best = (gap, m)
    assert best is not None and best[0] <= 0.10, "no diffusers UNet within 10 % of our size"
    return best[1]


def throughput(net: torch.nn.Module, call, steps: int, batch: int, channels_last: bool) -> float:
    """Images/s of full training steps (eps loss, backward, Adam) after two warm-up steps."""
    sched = NoiseSchedule.make("linear", 1000)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(batch, 1, 28, 28, generator=gen)
    y = torch.randint(0, 10, (batch,), generator=gen)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        x0 = x0.contiguous(memory_format=torch.channels_last)

    def step() -> None:
        loss = eps_loss(lambda x, t, yy: call(net, x, t, yy), sched, x0, y, gen, 0.1, 10)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - t0)


def item1(fast: bool) -> dict[str, float]:
    ours = UNet(1, 32, (1, 2, 2), 10, True)
    theirs = diffusers_unet(count_parameters(ours))
    steps = 5 if fast else 20
    ours_ips = max(
        throughput(ours, lambda n, x, t, y: n(x, t, y), steps, 64, cl) for cl in (False, True)
    )
    theirs_ips = throughput(
        theirs, lambda n, x, t, y: n(x, t, class_labels=y).sample, steps, 64, False
    )
    r = {
        "ours_params": count_parameters(ours),
        "diffusers_params": count_parameters(theirs),
        "ours_img_s": ours_ips,
        "diffusers_img_s": theirs_ips,
        "ratio": ours_ips / theirs_ips,
    }
    print(
        f"[1] training throughput, 28x28 batch 64: genlab UNet {r['ours_params']:,} params "
        f"{ours_ips:.1f} img/s; diffusers UNet2DModel {r['diffusers_params']:,} params "
        f"{theirs_ips:.1f} img/s; ratio {r['ratio']:.2f}x"
    )
    return r


def bench_checkpoint(path: str | None, fast: bool, work: Path) -> Path:
    if path:
        return Path(path)
    opts = {"steps": 300, "base": 16} if fast else {}
    cfg = resolve_config("diffusion", "mnist5k", "quick", **opts)
    print(f"    training a {'reduced' if fast else 'quick-preset'} diffusion model on mnist5k ...")
    return train(cfg, out_dir=work / "diffusion").checkpoint


def item2(
    ckpt_path: Path, fast: bool, n: int | None = None, guidance: float = 0.0
) -> dict[str, float]:
    ckpt = load(ckpt_path)
    n = n or (64 if fast else 256)
    labels = tuple(i % 10 for i in range(n))
    net = get_classifier(ckpt.config.dataset, ckpt.config.image_size)
    _, val = load_dataset(ckpt.config.dataset).split()
    out: dict[str, float] = {}
    for sampler, steps in (("ddim", 50), ("ddpm", 1000)):
        recipe = Recipe(
            ckpt.sha256,
            sampler=sampler,
            steps=steps,
            seed=0,
            labels=labels,
            count=n,
            guidance=guidance,
        )
        t0 = time.perf_counter()
        x = generate_tensor(recipe, ckpt)
        out[f"{sampler}_s"] = time.perf_counter() - t0
        scores = classifier_scores(net, x, val.x[:n], torch.tensor(labels))
        out[f"{sampler}_fd"] = scores["classifier_fd"]
        out[f"{sampler}_acc"] = scores["class_accuracy"]
    out["speedup"] = out["ddpm_s"] / out["ddim_s"]
    print(
        f"[2] sampling {n} images (guidance {guidance:g}): DDIM-50 {out['ddim_s']:.1f} s, FD "
        f"{out['ddim_fd']:.1f}, acc {out['ddim_acc']:.0%}; DDPM-1000 {out['ddpm_s']:.1f} s, FD "
        f"{out['ddpm_fd']:.1f}, acc {out['ddpm_acc']:.0%}; speed-up {out['speedup']:.1f}x"
    )
    return out


class QualityClock(Callback):
    """Evaluates the metric at every checkpoint (every `every` steps, on a fixed sample) and records
    the first time it reaches the target. Training time excludes evaluation time and is kept as
    both wall time and this process's CPU time (time.process_time, all threads), so a run on a
    shared machine stays interpretable. Stops at the target or at either cap."""

    def __init__(self, metric, target: float, cap_cpu_s: float, cap_wall_s: float) -> None:
        self.metric, self.target = metric, target
        self.cap_cpu_s, self.cap_wall_s = cap_cpu_s, cap_wall_s
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.eval_wall = self.eval_cpu = 0.0
        self.reached: tuple[int, float, float] | None = None  # (step, wall s, cpu s)
        self.history: list[tuple[int, float, float, float]] = []  # (step, wall, cpu, value)

    def spent(self) -> tuple[float, float]:
        wall = time.perf_counter() - self.t0 - self.eval_wall
        return wall, time.process_time() - self.c0 - self.eval_cpu

    def on_checkpoint(self, step: int, path: Path) -> None:
        wall, cpu = self.spent()
        t, c = time.perf_counter(), time.process_time()
        value = self.metric(load(path))
        self.eval_wall += time.perf_counter() - t
        self.eval_cpu += time.process_time() - c
        self.history.append((step, wall, cpu, value))
        print(
            f"    step {step}: train {cpu / 60:.1f} CPU-min ({wall / 60:.1f} min wall), "
            f"metric {value:.3f}; load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        if self.reached is None and value >= self.target:
            self.reached = (step, wall, cpu)

    def should_cancel(self) -> bool:
        wall, cpu = self.spent()
        return self.reached is not None or cpu > self.cap_cpu_s or wall > self.cap_wall_s


def conditional_accuracy(ckpt, n: int = 100) -> float:
    """Classifier accuracy of n conditional samples (labels 0..9 cycled; diffusion: DDIM-50,
    guidance 2; GAN: direct), fixed seed so successive checkpoints see the same noise."""
    net = get_classifier(ckpt.config.dataset, ckpt.config.image_size)
    labels = tuple(i % 10 for i in range(n))
    guidance = 2.0 if ckpt.family != "gan" else 0.0
    x = generate_tensor(
        Recipe(ckpt.sha256, steps=50, seed=0, labels=labels, count=n, guidance=guidance), ckpt
    )
    _, val = load_dataset(ckpt.config.dataset).split()
    return classifier_scores(net, x, val.x[:n], torch.tensor(labels))["class_accuracy"]


def heldout_elbo(ckpt) -> float:
    _, val = load_dataset(ckpt.config.dataset).split()
    return ckpt.model.heldout_elbo(val)


TTQ = {  # family: (metric, target, evaluate every N steps, what)
    "diffusion": (conditional_accuracy, 0.90, 200, "conditional accuracy (DDIM-50, guidance 2)"),
    "cgan": (conditional_accuracy, 0.90, 250, "conditional accuracy"),
    "vae": (heldout_elbo, -110.0, 250, "held-out ELBO, nats"),
}


def item3(
    work: Path,
    cap_cpu_min: float,
    cap_wall_min: float,
    families: list[str],
    eval_n: int,
    overrides: dict | None = None,
) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for family in families:
        metric, target, every, what = TTQ[family]
        if metric is conditional_accuracy:
            metric = partial(conditional_accuracy, n=eval_n)
        opts = {"steps": 100_000, "checkpoint_every": every, **(overrides or {})}
        cfg = resolve_config(family, "mnist5k", "quick", **opts)
        if overrides:
            print(f"    overrides {overrides}")
        print(
            f"    {family}: {what} >= {target}, evaluated every {every} steps; caps "
            f"{cap_cpu_min:.0f} CPU-min / {cap_wall_min:.0f} min wall; "
            f"{torch.get_num_threads()} thread(s)",
            flush=True,
        )
        clock = QualityClock(metric, target, cap_cpu_min * 60, cap_wall_min * 60)
        train(cfg, out_dir=work / f"ttq-{family}", callbacks=[clock])
        best = max((h[3] for h in clock.history), default=float("nan"))
        r = {"reached": clock.reached, "best": best, "history": clock.history}
        out[family] = r
        if clock.reached:
            step, wall, cpu = clock.reached
            got = f"{cpu / 60:.1f} CPU-min ({wall / 60:.1f} min wall) at step {step}"
        else:
            step, wall, cpu, _ = clock.history[-1] if clock.history else (0, 0.0, 0.0, 0.0)
            got = (
                f"not reached within cap (best {best:.3f} after {cpu / 60:.1f} CPU-min, "
                f"{wall / 60:.1f} min wall, step {step})"
            )
        print(f"[3] time to quality, {family} on mnist5k, {what} >= {target}: {got}", flush=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--fast", action="store_true", help="reduced settings (minutes)")
    p.add_argument("--items", default="1,2,3")
    p.add_argument("--checkpoint", help="diffusion checkpoint for item 2 (else item 3's or new)")
    p.add_argument("--cap-cpu-min", type=float, default=30.0, help="item 3 CPU-time cap/family")
    p.add_argument("--cap-wall-min", type=float, default=30.0, help="item 3 wall-time cap/family")
    p.add_argument("--eval-n", type=int, default=100, help="item 3 samples per accuracy check")
    p.add_argument("--work", help="folder for runs (default: a temp folder)")
    p.add_argument("--n", type=int, help="item 2 sample count (default 256, --fast 64)")
    p.add_argument("--guidance", type=float, default=0.0, help="item 2 guidance scale w")
    p.add_argument("--ttq", default="diffusion,cgan,vae", help="families for item 3")
    p.add_argument("--set", action="append", default=[], help="item 3 config override k=v")
    p.add_argument("--threads", type=int, default=int(os.environ.get("GENLAB_THREADS", "2")))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    items = {int(i) for i in args.items.split(",")}
    work = Path(args.work or tempfile.mkdtemp(prefix="genlab-bench-"))
    print(f"    load average {os.getloadavg()}, {args.threads} torch thread(s), work {work}")
    summary: list[str] = []
    if 1 in items:
        r = item1(args.fast)
        summary.append(f"train {r['ratio']:.2f}x diffusers")
    if 3 in items:  # before item 2: its diffusion checkpoint is the one item 2 samples from
        families = args.ttq.split(",")
        overrides = {k: json.loads(v) for k, v in (kv.split("=", 1) for kv in args.set)}
        r3 = item3(work, args.cap_cpu_min, args.cap_wall_min, families, args.eval_n, overrides)
        parts = []
        for f, r in r3.items():
            parts.append(
                f"{f} {r['reached'][2] / 60:.1f} CPU-min" if r["reached"] else f"{f} not reached"
            )
        summary.append("ttq " + ", ".join(parts))
    if 2 in items:
        ckpt = args.checkpoint
        if ckpt is None and (work / "ttq-diffusion" / "model.safetensors").is_file():
            ckpt = str(work / "ttq-diffusion" / "model.safetensors")
        r = item2(bench_checkpoint(ckpt, args.fast, work), args.fast, args.n, args.guidance)
        summary.append(
            f"ddim50 {r['speedup']:.1f}x faster than ddpm1000 "
            f"(FD {r['ddim_fd']:.0f} vs {r['ddpm_fd']:.0f})"
        )
    print(f"    load average {os.getloadavg()}")
    print("bench: genlab " + "; ".join(summary) + (" [fast]" if args.fast else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
