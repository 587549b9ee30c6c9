"""genlab benchmarks on this machine (CPU). Prints three figures and ends with `bench: genlab ...`.

1. training throughput (images/s) of genlab's UNet vs diffusers' UNet2DModel with the same
   parameter count (+-10 %) at 28x28, batch 64, and the ratio;
2. DDIM-50 vs DDPM-1000 from the same checkpoint: sampling time and classifier FD;
3. time to quality on mnist5k: CPU minutes until class-conditional diffusion reaches >= 90 %
   conditional accuracy, the conditional GAN the same, the VAE a held-out ELBO >= -110 nats;
4. evaluation worth trusting: the evaluation classifier's held-out accuracy and dead features,
   the diffusion model's FD at n >= 1,000 (family defaults, scored as displayed) with the
   real-vs-real floor at the same n and a bootstrap 95 % interval, its conditional accuracy, and
   the VAE's held-out importance-weighted NLL (IWAE, K = 500);
5. the sampler grid (eta x guidance, DDIM-50) the defaults were chosen from (genlab.sample);
6. latent diffusion as in the paper (`latent-unet`: KL autoencoder with a 4x7x7 latent, then the
   UNet on latents) against pixel diffusion, run after one another in this process: CPU minutes
   (first stage included) until each reaches >= 90 % conditional accuracy (item 3's clock),
   then the classifier FD of both checkpoints at --fd-n samples with the family defaults, and
   the speed-up ratio;
7. the cost per image of the two (training step of each stage, DDIM-50 sampling with guidance
   and decoding), CPU time, fresh networks.

    .venv/bin/python bench/genlab.py                 # full run (item 3 takes long)
    .venv/bin/python bench/genlab.py --fast          # reduced settings, minutes
    .venv/bin/python bench/genlab.py --items 1,2 --checkpoint runs/d/model.safetensors
    .venv/bin/python bench/genlab.py --items 4,5 --checkpoint runs/d/model.safetensors \
        --vae-checkpoint runs/v/model.safetensors --eval-n 1000
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import subprocess
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
from genlab.sample import generate_tensor, sampler_defaults
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


class Trainer:
    """Full training steps (eps loss, backward, Adam) of one network in one setting."""

    def __init__(self, net, call, batch: int, channels_last: bool, bf16: bool = False) -> None:
        self.sched = NoiseSchedule.make("linear", 1000)
        self.gen = torch.Generator().manual_seed(0)
        self.x0 = torch.randn(batch, 1, 28, 28, generator=self.gen)
        self.y = torch.randint(0, 10, (batch,), generator=self.gen)
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
            self.x0 = self.x0.contiguous(memory_format=torch.channels_last)
        self.net, self.call, self.bf16, self.batch = net, call, bf16, batch
        self.opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def step(self) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            loss = eps_loss(
                lambda x, t, yy: self.call(self.net, x, t, yy),
                self.sched,
                self.x0,
                self.y,
                self.gen,
                0.1,
                10,
            )
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def timed(self, steps: int) -> None:
        w, c = time.perf_counter(), time.process_time()
        for _ in range(steps):
            self.step()
        self.wall.append((time.perf_counter() - w) / steps)
        self.cpu.append((time.process_time() - c) / steps)

    def img_s(self) -> tuple[float, float]:
        """Images/s from the median step time: wall clock, and CPU time of the process."""
        return self.batch / statistics.median(self.wall), self.batch / statistics.median(self.cpu)


def item1(fast: bool) -> dict[str, float]:
    """Interleaved rounds (every setting runs a few steps per round, in turn) so that a change of
    machine load hits all settings alike; medians over rounds."""
    ours = UNet(1, 32, (1, 2, 2), 10, True)
    theirs = diffusers_unet(count_parameters(ours))
    params = (count_parameters(ours), count_parameters(theirs))

    def ours_call(n, x, t, y):
        return n(x, t, y)

    def theirs_call(n, x, t, y):
        return n(x, t, class_labels=y).sample

    settings = {
        "genlab fp32": Trainer(ours, ours_call, 64, False),
        "genlab fp32 channels_last": Trainer(copy.deepcopy(ours), ours_call, 64, True),
        "diffusers fp32": Trainer(theirs, theirs_call, 64, False),
        "diffusers fp32 channels_last": Trainer(copy.deepcopy(theirs), theirs_call, 64, True),
    }
    # bf16 autocast changes the numerics of training, so it is shown but not in the ratio
    settings["genlab bf16 autocast channels_last"] = Trainer(
        copy.deepcopy(ours), ours_call, 64, True, bf16=True
    )
    rounds, per_round = (3, 2) if fast else (7, 3)
    for tr in settings.values():  # warm-up
        tr.step()
    for _ in range(rounds):
        for tr in settings.values():
            tr.timed(per_round)
    res = {k: tr.img_s() for k, tr in settings.items()}
    for k, (w, c) in res.items():
        print(f"    {k:36s} {w:7.1f} img/s wall  {c:7.1f} img/s per CPU-second")
    fp32 = [k for k in res if "fp32" in k]
    # ours: the setting genlab.train uses (DiffusionFamily trains the UNet in channels_last);
    # theirs: diffusers' best fp32 setting
    best_ours = "genlab fp32 channels_last"
    best_theirs = max((k for k in fp32 if k.startswith("diffusers")), key=lambda k: res[k][0])
    r = {
        "ours_params": params[0],
        "diffusers_params": params[1],
        "ours_img_s": res[best_ours][0],
        "diffusers_img_s": res[best_theirs][0],
        "ratio": res[best_ours][0] / res[best_theirs][0],
        "ratio_cpu": res[best_ours][1] / res[best_theirs][1],
    }
    print(
        f"[1] training throughput, 28x28 batch 64, {torch.get_num_threads()} thread(s), medians "
        f"of {rounds} interleaved rounds: genlab UNet {params[0]:,} params {r['ours_img_s']:.1f} "
        f"img/s ({best_ours}, as genlab.train); diffusers UNet2DModel {params[1]:,} params "
        f"({params[1] / params[0] - 1:+.0%}) {r['diffusers_img_s']:.1f} img/s ({best_theirs}); "
        f"ratio {r['ratio']:.2f}x wall, {r['ratio_cpu']:.2f}x per CPU-second"
    )
    return r


class StopAt(Callback):
    """Cancels a (resumed) training once it has done `step` steps."""

    def __init__(self, step: int) -> None:
        self.step, self.now = step, 0

    def on_progress(self, progress) -> None:
        self.now = progress.step

    def should_cancel(self) -> bool:
        return self.now >= self.step


def bench_checkpoint(path: str | None, fast: bool, work: Path) -> Path:
    """Item 2's checkpoint: the one given, else the quick-preset diffusion model on mnist5k
    trained to the preset's end (what a member gets from `genlab train diffusion` or the lab's
    default). When item 3 ran, its diffusion run (stopped at the accuracy target) is resumed to
    that step: the driver's resume continues the same run, so this is the same model as a straight
    training, without paying again for the steps item 3 already did."""
    if path:
        return Path(path)
    opts = {"steps": 300, "base": 16} if fast else {}
    cfg = resolve_config("diffusion", "mnist5k", "quick", **opts)
    ttq = work / "ttq-diffusion"
    if not fast and (ttq / "state.pt").is_file():
        done = int(load(ttq / "model.safetensors").meta["steps"])
        if done < cfg.steps:
            print(f"    resuming item 3's diffusion run from step {done} to {cfg.steps} ...")
            train(None, out_dir=ttq, callbacks=[StopAt(cfg.steps)], resume=True)
        return ttq / "model.safetensors"
    print(f"    training a {'reduced' if fast else 'quick-preset'} diffusion model on mnist5k ...")
    return train(cfg, out_dir=work / "diffusion").checkpoint


# (name, sampler, steps, eta, clip_sample): DDIM eq. 12 with sigma = eta x eq. 16 at the etas of
# the DDIM paper's table 1 (0 = deterministic DDIM, 1 = DDPM-like noise), eta 0 with each x0
# prediction clamped to [-1, 1] (diffusers' clip_sample), and DDPM Algorithm 2
SAMPLERS = (
    ("ddim", "ddim", 50, 0.0, False),
    ("ddim_eta05", "ddim", 50, 0.5, False),
    ("ddim_eta1", "ddim", 50, 1.0, False),
    ("ddim_clip", "ddim", 50, 0.0, True),
    ("ddpm", "ddpm", 1000, 0.0, False),
)
DDIM_LABELS = {
    "ddim": "DDIM-50 eta 0",
    "ddim_eta05": "DDIM-50 eta 0.5",
    "ddim_eta1": "DDIM-50 eta 1",
    "ddim_clip": "DDIM-50 eta 0 x0-clipped",
}
# "comparable FD": within the DDIM paper's own gap on CIFAR-10 (DDIM-50 eta 0 FID 4.67 against
# DDPM-1000 3.17, a ratio of 1.47)
COMPARABLE = 1.5


def sample_chunk(ckpt_path: Path, out: Path, index: int, count: int, guidance: float) -> None:
    """Chunk `index` of item 2: `count` conditional samples (seed = index) with each sampler,
    timed in wall and CPU time; written to out (safetensors + JSON)."""
    from safetensors.torch import save_file

    ckpt = load(ckpt_path)
    labels = tuple(i % 10 for i in range(count))
    tensors, times = {}, {}
    for name, sampler, steps, eta, clip in SAMPLERS:
        recipe = Recipe(
            ckpt.sha256,
            sampler=sampler,
            steps=steps,
            eta=eta,
            seed=index,
            labels=labels,
            count=count,
            guidance=guidance,
            clip_sample=clip,
        )
        w, c = time.perf_counter(), time.process_time()
        tensors[name] = generate_tensor(recipe, ckpt).contiguous()
        times[name] = (time.perf_counter() - w, time.process_time() - c)
    tensors["labels"] = torch.tensor(labels)
    save_file(tensors, str(out.with_suffix(".safetensors")))
    out.with_suffix(".json").write_text(json.dumps(times))


def item2(
    ckpt_path: Path, fast: bool, n: int | None, guidance: float, chunks: int, work: Path
) -> dict[str, float]:
    """DDIM-50 (eta 0, 0.5, 1; eta 0 with x0 clipping) and DDPM-1000 from one checkpoint, same
    labels and n. The n samples are drawn by `chunks` one-thread processes in parallel (seeds
    0..chunks-1), and the speed-up is the ratio of summed process CPU times (robust on a shared
    machine). Samples are clamped to [-1, 1] before scoring, as the images shown are
    (images_to_uint8): unclamped values far outside the data range would dominate the FD."""
    from safetensors.torch import load_file

    n = n or (64 if fast else 256)
    per = n // chunks
    work.mkdir(parents=True, exist_ok=True)
    procs = []
    for i in range(chunks):
        cmd = [
            sys.executable,
            __file__,
            "--threads",
            str(torch.get_num_threads() if chunks == 1 else 1),
            "--item2-chunk",
            str(ckpt_path),
            str(work / f"chunk{i}"),
            str(i),
            str(per),
            str(guidance),
        ]
        procs.append(subprocess.Popen(cmd))
    if any(p.wait() for p in procs):
        raise RuntimeError("an item-2 sampling process failed")
    ckpt = load(ckpt_path)
    net = get_classifier(ckpt.config.dataset, ckpt.config.image_size)
    train_ds, val = load_dataset(ckpt.config.dataset).split()
    got = [load_file(str(work / f"chunk{i}.safetensors")) for i in range(chunks)]
    times = [json.loads((work / f"chunk{i}.json").read_text()) for i in range(chunks)]
    labels = torch.cat([g["labels"] for g in got])
    ref = val.x[: len(labels)]
    out: dict[str, float] = {"n": float(len(labels))}
    out["real_fd"] = classifier_scores(net, train_ds.x[: len(labels)], ref, None)["classifier_fd"]
    for name, *_ in SAMPLERS:
        x = torch.cat([g[name] for g in got])
        out[f"{name}_out"] = float((x.abs() > 1).float().mean())  # share of pixels off [-1, 1]
        scores = classifier_scores(net, x.clamp(-1, 1), ref, labels)
        out[f"{name}_fd"] = scores["classifier_fd"]
        out[f"{name}_acc"] = scores["class_accuracy"]
        out[f"{name}_wall"] = max(t[name][0] for t in times)
        out[f"{name}_cpu"] = sum(t[name][1] for t in times)
    ddim_cpu = statistics.mean(out[f"{k}_cpu"] for k in DDIM_LABELS)
    ddim_wall = statistics.mean(out[f"{k}_wall"] for k in DDIM_LABELS)
    out["speedup"] = out["ddpm_cpu"] / ddim_cpu
    out["speedup_wall"] = out["ddpm_wall"] / ddim_wall
    comparable = [k for k in DDIM_LABELS if out[f"{k}_fd"] <= COMPARABLE * out["ddpm_fd"]]
    out["comparable"] = comparable  # type: ignore[assignment]

    def line(name: str, what: str) -> str:
        ratio = f", {out[f'{name}_fd'] / out['ddpm_fd']:.2f}x DDPM's" if name != "ddpm" else ""
        return (
            f"    {what:26s} {out[f'{name}_cpu']:6.0f} CPU-s ({out[f'{name}_wall']:4.0f} s wall), "
            f"FD {out[f'{name}_fd']:5.1f}{ratio}, acc {out[f'{name}_acc']:.0%}, "
            f"{out[f'{name}_out']:.0%} of pixels outside [-1, 1]"
        )

    for name, what in [*DDIM_LABELS.items(), ("ddpm", "DDPM-1000")]:
        print(line(name, what))
    said = ", ".join(DDIM_LABELS[k] for k in comparable) or "none"
    print(
        f"[2] {len(labels)} conditional samples (labels 0-9, guidance {guidance:g}, {chunks} "
        f"process(es)) from one checkpoint, scored clamped to [-1, 1]: DDIM-50 "
        f"{out['speedup']:.1f}x less CPU than DDPM-1000 ({out['speedup_wall']:.1f}x wall); FD "
        f"DDIM-50 eta 0 / 0.5 / 1: {out['ddim_fd']:.1f} / {out['ddim_eta05_fd']:.1f} / "
        f"{out['ddim_eta1_fd']:.1f} (x0-clipped eta 0: {out['ddim_clip_fd']:.1f}) vs DDPM-1000 "
        f"{out['ddpm_fd']:.1f}; real-vs-real FD at this n {out['real_fd']:.1f}; comparable "
        f"(FD <= {COMPARABLE}x DDPM-1000's, the DDIM paper's own CIFAR-10 gap): {said}"
    )
    return out


class QualityClock(Callback):
    """Evaluates the metric at every checkpoint (every `every` steps, on a fixed sample) and records
    the first time it reaches the target. Training time excludes evaluation time and is kept as
    both wall time and this process's CPU time (time.process_time, all threads), so a run on a
    shared machine stays interpretable. Stops at the target or at either cap."""

    def __init__(
        self, metric, target: float, cap_cpu_s: float, cap_wall_s: float, first: int = 0
    ) -> None:
        self.metric, self.target, self.first = metric, target, first
        self.cap_cpu_s, self.cap_wall_s = cap_cpu_s, cap_wall_s
        self.t0, self.c0 = time.perf_counter(), time.process_time()
        self.eval_wall = self.eval_cpu = 0.0
        self.reached: tuple[int, float, float] | None = None  # (step, wall s, cpu s)
        self.history: list[tuple[int, float, float, float]] = []  # (step, wall, cpu, value)

    def spent(self) -> tuple[float, float]:
        wall = time.perf_counter() - self.t0 - self.eval_wall
        return wall, time.process_time() - self.c0 - self.eval_cpu

    def on_checkpoint(self, step: int, path: Path) -> None:
        if self.history and self.history[-1][0] == step:
            return  # the checkpoint written on cancel, right after the one just evaluated
        if step <= self.first:
            return  # a two-stage family's first stage: nothing to sample from yet
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
    "latent-unet": (conditional_accuracy, 0.90, 200, "conditional accuracy (DDIM-50, guidance 2)"),
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
        # latent-unet: its autoencoder's steps count on the clock but are not evaluated
        first = cfg.vae_steps if family == "latent-unet" else 0
        clock = QualityClock(metric, target, cap_cpu_min * 60, cap_wall_min * 60, first)
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


def item4(ckpt_path: Path, vae_path: Path | None, n: int, iwae_k: int) -> dict[str, float]:
    """FD with floor and interval, conditional accuracy, the classifier itself; VAE IWAE NLL."""
    from genlab.metrics import evaluate

    ckpt = load(ckpt_path)
    t, c = time.perf_counter(), time.process_time()
    r = evaluate(ckpt, n=n)
    d = sampler_defaults(ckpt)
    print(
        f"[4] evaluation classifier on {ckpt.config.dataset}: held-out accuracy "
        f"{r['classifier_val_accuracy']:.1%}, {r['classifier_dead_features']:.0f} dead features "
        f"of 128",
        flush=True,
    )
    print(
        f"[4] {ckpt.family} (step {ckpt.meta['steps']}, DDIM-{d['steps']} eta {d['eta']:g} "
        f"w {d['guidance']:g}), n = {r['n']:.0f}: FD {r['classifier_fd']:.2f} (95 % bootstrap "
        f"{r['classifier_fd_ci95_low']:.2f}-{r['classifier_fd_ci95_high']:.2f}), real-vs-real "
        f"floor {r['real_fd_floor']:.2f}, conditional accuracy {r.get('class_accuracy', 0):.1%} "
        f"({time.process_time() - c:.0f} CPU-s, {time.perf_counter() - t:.0f} s wall)",
        flush=True,
    )
    if vae_path is not None and not vae_path.is_file():
        print(f"[4] vae: {vae_path} does not exist; held-out NLL skipped", flush=True)
    elif vae_path is not None:
        vae = load(vae_path)
        _, val = load_dataset(vae.config.dataset).split()
        c = time.process_time()
        r["vae_nll"] = vae.model.heldout_iwae_nll(val, k=iwae_k)
        r["vae_elbo"] = vae.model.heldout_elbo(val)
        print(
            f"[4] vae ({vae.config.preset} preset, step {vae.meta['steps']}) held-out "
            f"importance-weighted NLL (K = {iwae_k}, {len(val)} images): {r['vae_nll']:.2f} nats "
            f"(one-sample ELBO {-r['vae_elbo']:.2f}; Burda et al. one-layer VAE 86.8; "
            f"{time.process_time() - c:.0f} CPU-s)",
            flush=True,
        )
    return r


GRID_ETAS = (0.0, 1.0)
GRID_GUIDANCE = (0.0, 0.5, 1.0, 2.0)


def item5(ckpt_path: Path, n: int) -> list[tuple[float, float, float, float, float]]:
    """The eta x guidance grid of DDIM-50 at n samples (labels cycled), scored as displayed."""
    from genlab.metrics import evaluate

    ckpt = load(ckpt_path)
    rows = []
    for eta in GRID_ETAS:
        for w in GRID_GUIDANCE:
            r = evaluate(ckpt, n=n, sampler="ddim", steps=50, eta=eta, guidance=w)
            rows.append((eta, w, r["classifier_fd"], r.get("class_accuracy", 0.0), r["n"]))
            print(
                f"    eta {eta:g} w {w:g}: FD {r['classifier_fd']:.2f} "
                f"({r['classifier_fd_ci95_low']:.2f}-{r['classifier_fd_ci95_high']:.2f}), "
                f"accuracy {r.get('class_accuracy', 0):.1%}, floor {r['real_fd_floor']:.2f}",
                flush=True,
            )
    best = min(rows, key=lambda row: row[2])
    print(
        f"[5] grid at n = {best[4]:.0f}: lowest FD at eta {best[0]:g} w {best[1]:g} "
        f"({best[2]:.2f}, accuracy {best[3]:.1%})",
        flush=True,
    )
    return rows


def item7(steps: int = 6, n: int = 16) -> dict[str, float]:
    """Cost per image of the quick presets, pixel diffusion vs latent-unet (fresh networks: the
    cost does not depend on the weights): a training step of each stage and DDIM-50 sampling
    with guidance (decoding included), in this process's CPU time, interleaved."""
    from genlab.family import build_family
    from genlab.train import prepare

    models, data = {}, {}
    for family in ("diffusion", "latent-unet"):
        cfg, tr, _, spec = prepare(resolve_config(family, "mnist5k"))
        models[family], data[family] = build_family(cfg, spec), tr
    gen = torch.Generator().manual_seed(0)
    lu = models["latent-unet"]
    vae_steps = lu.cfg.vae_steps

    def train_cost(model, first_step: int) -> float:
        model.train_step(data[model.name], gen, first_step)  # warm-up
        c = time.process_time()
        for i in range(steps):
            model.train_step(data[model.name], gen, first_step + 1 + i)
        return (time.process_time() - c) / steps / model.cfg.batch_size

    def sample_cost(model) -> float:
        model.eval_mode()
        labels = torch.arange(n) % 10
        c = time.process_time()
        with torch.no_grad():
            model.generate(n, gen, labels, "ddim", 50, 1.0, 0.5)
        model.train_mode()
        return (time.process_time() - c) / n

    out = {
        "ae_train_ms": 1e3 * train_cost(lu, 0),
        "latent_train_ms": 1e3 * train_cost(lu, vae_steps),
        "pixel_train_ms": 1e3 * train_cost(models["diffusion"], 0),
        "latent_sample_ms": 1e3 * sample_cost(lu),
        "pixel_sample_ms": 1e3 * sample_cost(models["diffusion"]),
    }
    out["train_ratio"] = out["pixel_train_ms"] / out["latent_train_ms"]
    out["sample_ratio"] = out["pixel_sample_ms"] / out["latent_sample_ms"]
    print(
        f"[7] CPU-ms per image, quick presets: training step pixel UNet "
        f"{out['pixel_train_ms']:.2f} vs latent UNet {out['latent_train_ms']:.2f} "
        f"({out['train_ratio']:.1f}x; the autoencoder stage {out['ae_train_ms']:.2f}); DDIM-50 "
        f"with guidance pixel {out['pixel_sample_ms']:.0f} vs latent {out['latent_sample_ms']:.0f} "
        f"incl. decoding ({out['sample_ratio']:.1f}x)",
        flush=True,
    )
    return out


def item6(
    work: Path, cap_cpu_min: float, cap_wall_min: float, eval_n: int, fd_n: int, threads: int
) -> dict:
    """Time to equal quality: pixel diffusion vs latent-unet on item 3's clock (CPU time of
    each process, evaluation excluded), the two trained side by side in two processes of
    `threads` threads each so both see the same machine load; then the FD of both."""
    from genlab.metrics import evaluate

    get_classifier("mnist5k")  # trained (and cached) once here, not by both workers at once
    procs = {}
    for family in ("diffusion", "latent-unet"):
        cmd = [
            sys.executable,
            __file__,
            "--items",
            "3",
            "--ttq",
            family,
            "--work",
            str(work / "ldm"),
            "--threads",
            str(threads),
            "--cap-cpu-min",
            str(cap_cpu_min),
            "--cap-wall-min",
            str(cap_wall_min),
            "--eval-n",
            str(eval_n),
            "--item3-json",
            str(work / "ldm" / f"{family}.json"),
        ]
        (work / "ldm").mkdir(parents=True, exist_ok=True)
        log = open(work / "ldm" / f"{family}.log", "w")  # noqa: SIM115 (closed below)
        procs[family] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT), log)
    for proc, log in procs.values():
        proc.wait()
        log.close()
    out: dict = {}
    for family in ("diffusion", "latent-unet"):
        print((work / "ldm" / f"{family}.log").read_text().rstrip())
        r = json.loads((work / "ldm" / f"{family}.json").read_text())[family]
        ck = load(work / "ldm" / f"ttq-{family}" / "model.safetensors")
        scores = evaluate(ck, n=fd_n, iwae_k=0)
        cpu = r["reached"][2] if r["reached"] else r["history"][-1][2]
        out[family] = {"cpu_min": cpu / 60, "reached": bool(r["reached"]), **scores}
        print(
            f"[6] {family}: {'reached' if r['reached'] else 'NOT reached'} 90 % after "
            f"{cpu / 60:.1f} CPU-min (step {ck.meta['steps']}); defaults "
            f"{sampler_defaults(ck)}: FD {scores['classifier_fd']:.1f} "
            f"[{scores['classifier_fd_ci95_low']:.1f}, {scores['classifier_fd_ci95_high']:.1f}] "
            f"at n {scores['n']:.0f} (floor {scores['real_fd_floor']:.1f}), cond. accuracy "
            f"{scores.get('class_accuracy', 0):.1%}",
            flush=True,
        )
    # the same CPU budget: each one's last evaluation within the budget both reached
    hist = {f: json.loads((work / "ldm" / f"{f}.json").read_text())[f]["history"] for f in out}
    budget = min(h[-1][2] for h in hist.values())
    at = {f: [e for e in h if e[2] <= budget][-1] for f, h in hist.items()}
    out["equal_budget"] = {"cpu_min": budget / 60, **{f: e[3] for f, e in at.items()}}
    print(
        f"[6] at the same CPU budget ({budget / 60:.1f} CPU-min): conditional accuracy "
        + ", ".join(
            f"{f} {e[3]:.1%} (step {e[0]}, {e[2] / 60:.1f} CPU-min)" for f, e in at.items()
        ),
        flush=True,
    )
    both = out["diffusion"]["reached"] and out["latent-unet"]["reached"]
    out["speedup"] = (
        out["diffusion"]["cpu_min"] / out["latent-unet"]["cpu_min"] if both else float("nan")
    )
    said = (
        f"with {out['speedup']:.1f}x less CPU than pixel diffusion"
        if both
        else "(no ratio: one of the two did not reach the target within the cap)"
    )
    print(f"[6] latent-unet reaches 90 % conditional accuracy {said}", flush=True)
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
    p.add_argument("--chunks", type=int, default=2, help="item 2: parallel 1-thread processes")
    p.add_argument("--item2-chunk", nargs=5, help=argparse.SUPPRESS)
    p.add_argument("--item3-json", help=argparse.SUPPRESS)  # item 6's workers write item 3 here
    p.add_argument("--set", action="append", default=[], help="item 3 config override k=v")
    p.add_argument("--vae-checkpoint", help="item 4: a VAE checkpoint (else one is trained)")
    p.add_argument("--vae-preset", default="quality", help="item 4: preset of the trained VAE")
    p.add_argument("--iwae-k", type=int, default=500, help="item 4: importance samples")
    p.add_argument("--fd-n", type=int, default=1000, help="items 4, 5: samples for the FD")
    p.add_argument("--threads", type=int, default=int(os.environ.get("GENLAB_THREADS", "2")))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.item2_chunk:
        ck, dest, i, count, w = args.item2_chunk
        sample_chunk(Path(ck), Path(dest), int(i), int(count), float(w))
        return 0
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
        if args.item3_json:
            Path(args.item3_json).write_text(json.dumps(r3))
    if 2 in items:
        ck = bench_checkpoint(args.checkpoint, args.fast, work)
        print(f"    item 2 samples from {ck} (step {load(ck).meta['steps']})")
        r = item2(ck, args.fast, args.n, args.guidance, args.chunks, work / "item2")
        summary.append(
            f"ddim50 {r['speedup']:.1f}x less CPU than ddpm1000, FD eta 0/0.5/1 "
            f"{r['ddim_fd']:.1f}/{r['ddim_eta05_fd']:.1f}/{r['ddim_eta1_fd']:.1f} vs "
            f"{r['ddpm_fd']:.1f} (real {r['real_fd']:.1f})"
        )
    if 4 in items or 5 in items:
        ck = bench_checkpoint(args.checkpoint, args.fast, work)
        fd_n = args.fd_n
    if 4 in items:
        vae_path = Path(args.vae_checkpoint) if args.vae_checkpoint else None
        if vae_path is None:
            opts = {"steps": 500} if args.fast else {}
            cfg = resolve_config("vae", "mnist5k", args.vae_preset, **opts)
            print(f"    training a {args.vae_preset}-preset VAE on mnist5k ...", flush=True)
            vae_path = train(cfg, out_dir=work / "vae").checkpoint
        r4 = item4(ck, vae_path, fd_n, 50 if args.fast else args.iwae_k)
        summary.append(
            f"FD {r4['classifier_fd']:.1f} [{r4['classifier_fd_ci95_low']:.1f}, "
            f"{r4['classifier_fd_ci95_high']:.1f}] at n {r4['n']:.0f} (floor "
            f"{r4['real_fd_floor']:.1f}), cond. acc {r4.get('class_accuracy', 0):.1%} (classifier "
            f"{r4['classifier_val_accuracy']:.1%}), vae IWAE NLL "
            f"{r4.get('vae_nll', float('nan')):.1f}"
        )
    if 6 in items:
        r6 = item6(work, args.cap_cpu_min, args.cap_wall_min, args.eval_n, args.fd_n, args.threads)
        d, ld = r6["diffusion"], r6["latent-unet"]
        eq = r6["equal_budget"]
        summary.append(
            f"ldm {r6['speedup']:.1f}x less CPU to 90 % cond. acc than pixel diffusion "
            f"({ld['cpu_min']:.1f} vs {d['cpu_min']:.1f} CPU-min; nan: not both reached), "
            f"at {eq['cpu_min']:.1f} CPU-min each cond. acc {eq['latent-unet']:.0%} vs "
            f"{eq['diffusion']:.0%}, final FD {ld['classifier_fd']:.1f} vs "
            f"{d['classifier_fd']:.1f} at n {ld['n']:.0f}"
        )
    if 7 in items:
        r7 = item7()
        summary.append(
            f"latent-unet per image {r7['train_ratio']:.1f}x cheaper to train, "
            f"{r7['sample_ratio']:.1f}x to sample than pixel diffusion"
        )
    if 5 in items:
        rows = item5(ck, fd_n)
        best = min(rows, key=lambda row: row[2])
        summary.append(f"grid best eta {best[0]:g} w {best[1]:g}")
    print(f"    load average {os.getloadavg()}")
    print("bench: genlab " + "; ".join(summary) + (" [fast]" if args.fast else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
