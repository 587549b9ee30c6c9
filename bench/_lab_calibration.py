"""The lab's time estimates, measured on this server: `python bench/lab.py --calibrate`.

For every family of the new-run page (text families aside) on every built-in data set at each
preset, genlab's own training step is timed for a few steps with the config the worker uses
(genlab.config.resolve_config) on one torch thread, and one sample grid (a run writes about
eight). Then the worker's image thread count (AGORA_LAB_TORCH_THREADS, default 2) is probed on
two configs against one thread, at the same moment: on a shared, loaded machine a 2-thread
parallel region waits for both of its threads and can be many times slower than one thread;
the estimates multiply the image rates by that measured factor when the site trains images on
more than one thread.
Two-stage families (latent diffusion, VQ-VAE) are timed in each stage. The four 2-D point sets
share the same MLPs, batch and size, so `moons` is measured for all four; presets that differ
only in their number of steps share one measurement.

The table goes to agora/lab/calibration.json with the date, the machine, torch and the load
average before and after; agora/lab/estimates.py reads it until a family has finished a run
on a data set here. Under load the figures are slower than on a quiet machine: the file says
so, and its times are then upper bounds.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "agora" / "lab" / "calibration.json"
IMAGE_SETS = ("mnist5k", "digits", "emoji32")
POINT_SETS = ("moons", "swissroll", "8gaussians", "checkerboard")
# the new-run page's families (agora.lab.models.FAMILY_CHOICES, text aside); no Django here
FAMILIES = (
    "gan",
    "cgan",
    "wgan-gp",
    "wgan",
    "vae",
    "beta-vae",
    "diffusion",
    "latent",
    "latent-unet",
    "vqvae",
    "stylegan",
)
# what a machine counts as loaded: a load average above its cores
LOADED = 1.0


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def timed_steps(model, data, gen, start: int, *, min_s: float, min_steps: int, max_steps: int):
    """Steps per second of `model.train_step` from step `start` (one warm-up step first, which
    also does a stage's one-off work, e.g. latent diffusion's latent scale)."""
    model.train_step(data, gen, start)
    done, began = 0, time.perf_counter()
    while True:
        model.train_step(data, gen, start + 1 + done)
        done += 1
        elapsed = time.perf_counter() - began
        if done >= max_steps or (elapsed >= min_s and done >= min_steps):
            return done / elapsed, done


def thread_probes(threads: int, steps: int = 8) -> dict:
    """Steps/s with `threads` torch threads over steps/s with one, on two image configs,
    alternating so that both see the same load."""
    import statistics

    import torch

    from genlab.config import resolve_config
    from genlab.family import build_family
    from genlab.train import prepare

    probes = {}
    for family, dataset in (("gan", "digits"), ("diffusion", "mnist5k")):
        cfg, train_ds, _val, spec = prepare(resolve_config(family, dataset, "quick"))
        rates = {}
        for n in (1, threads, 1, threads):
            torch.set_num_threads(n)
            torch.manual_seed(cfg.seed)
            model = build_family(cfg, spec)
            gen = torch.Generator().manual_seed(cfg.seed + 1)
            model.train_mode()
            rate, _ = timed_steps(model, train_ds, gen, 0, min_s=0, min_steps=1, max_steps=steps)
            rates.setdefault(n, []).append(rate)
        factor = statistics.mean(rates[threads]) / statistics.mean(rates[1])
        probes[f"{family}:{dataset}"] = round(factor, 3)
        print(f"  {threads} threads / 1 thread, {family} on {dataset}: {factor:.3f}", flush=True)
    torch.set_num_threads(1)
    return {"median": round(statistics.median(probes.values()), 3), "probes": probes}


def signature(cfg) -> str:
    """What decides a step's cost: the config without its lengths and driver options."""
    d = json.loads(cfg.to_json())
    for key in ("steps", "vae_steps", "preset", "log_every", "sample_every", "checkpoint_every"):
        d.pop(key, None)
    return json.dumps(d, sort_keys=True)


def calibrate(
    *,
    min_s: float,
    min_steps: int,
    max_steps: int,
    out: Path = OUT,
    families: tuple[str, ...] = FAMILIES,
) -> int:
    import torch

    import genlab.train
    from genlab.config import TWO_STAGE_FAMILIES, resolve_config
    from genlab.data import load_dataset
    from genlab.errors import ConfigError
    from genlab.family import build_family
    from genlab.train import prepare, sample_grid

    # every data set is loaded once (prepare() loads it for each config)
    genlab.train.load_dataset = functools.cache(load_dataset)
    image_threads = int(os.environ.get("AGORA_LAB_TORCH_THREADS", "2"))
    load_before = os.getloadavg()
    cpu_began, wall_began = time.process_time(), time.perf_counter()
    seen: dict[str, dict] = {}
    table: dict[str, dict[str, dict[str, dict]]] = {}
    for family in families:
        for dataset in (*IMAGE_SETS, POINT_SETS[0]):
            for preset in ("quick", "quality"):
                try:
                    cfg = resolve_config(family, dataset, preset)
                    cfg, train_ds, _val, spec = prepare(cfg)
                except ConfigError:
                    continue  # a family that does not learn this kind of data
                key = f"{dataset}:{signature(cfg)}"
                if key not in seen:
                    threads = 1
                    torch.set_num_threads(threads)
                    torch.manual_seed(cfg.seed)
                    model = build_family(cfg, spec)
                    gen = torch.Generator().manual_seed(cfg.seed + 1)
                    model.train_mode()
                    cpu0, t0 = time.process_time(), time.perf_counter()
                    stages = [0, cfg.vae_steps] if cfg.family in TWO_STAGE_FAMILIES else [0]
                    rates = []
                    for start in stages:
                        rate, timed = timed_steps(
                            model,
                            train_ds,
                            gen,
                            start,
                            min_s=min_s,
                            min_steps=min_steps,
                            max_steps=max_steps,
                        )
                        rates.append({"steps_per_s": round(rate, 3), "steps_timed": timed})
                    g0 = time.perf_counter()
                    sample_grid(model)
                    grid_s = time.perf_counter() - g0
                    seen[key] = {
                        "stages": rates,
                        "grid_s": round(grid_s, 3),
                        "threads": threads,
                        "cpu_s": round(time.process_time() - cpu0, 2),
                        "wall_s": round(time.perf_counter() - t0, 2),
                    }
                    print(
                        f"  {family:12} {dataset:9} {preset:8} "
                        + " then ".join(f"{r['steps_per_s']:8.2f} steps/s" for r in rates)
                        + f"  grid {grid_s:5.2f} s  ({threads} thread(s))",
                        flush=True,
                    )
                m = seen[key]
                stage_steps = [cfg.vae_steps, cfg.steps] if len(m["stages"]) == 2 else [cfg.steps]
                total = sum(stage_steps)
                grids = total // max(50, cfg.steps // 8)  # agora.lab.execution.training_config
                seconds = sum(
                    n / s["steps_per_s"] for n, s in zip(stage_steps, m["stages"], strict=True)
                )
                seconds += grids * m["grid_s"]
                entry = {
                    "steps": total,
                    "seconds": round(seconds, 1),
                    # the whole run's pace, comparable to TrainingRun.steps_per_s
                    "steps_per_s": round(total / seconds, 3),
                    **m,
                }
                names = POINT_SETS if dataset in POINT_SETS else (dataset,)
                for name in names:
                    table.setdefault(family, {}).setdefault(name, {})[preset] = entry
    factors = thread_probes(image_threads) if image_threads > 1 else {}
    load_after = os.getloadavg()
    cpu = time.process_time() - cpu_began
    cores = os.cpu_count() or 1
    loaded = max(load_before[0], load_after[0]) > LOADED * cores
    result = {
        "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "torch": torch.__version__,
        "threads": 1,
        # rate with the worker's image threads / rate with one thread, per probe, and the median
        "image_threads": image_threads,
        "image_thread_factor": factors.get("median", 1.0),
        "image_thread_probes": factors.get("probes", {}),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "loaded": loaded,
        "note": (
            "measured while the machine was loaded (load average above its cores): the "
            "times are upper bounds; a quiet server trains faster"
            if loaded
            else "measured on a quiet machine"
        ),
        "method": "bench/lab.py --calibrate: genlab train_step on one thread, timed for a few "
        "steps after one warm-up step, per stage, plus one sample grid per run's eighth; 2-D "
        "point sets measured on moons; the worker's image threads probed against one thread",
        "bench_cpu_s": round(cpu, 1),
        "rates": table,
    }
    out.write_text(json.dumps(result, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
    print(
        f"wrote {out}: {len(seen)} measurements, {cpu:.1f} CPU-s, "
        f"{time.perf_counter() - wall_began:.1f} s wall, load {load_before[0]:.2f} -> "
        f"{load_after[0]:.2f} ({'loaded: upper bounds' if loaded else 'quiet'})"
    )
    # the peer: the rule of thumb the page used before this table (issue #17's reports: steps/s
    # on the 8x8 digits per family group), against what this run measured there
    rule = {"diffusion": 1.0, "latent": 1.0, "vae": 5.0, "gan": 2.5}
    group = {"beta-vae": "vae", "vqvae": "vae", "latent-unet": "latent"}
    ratios = [
        sets["digits"]["quick"]["steps_per_s"] / rule[group.get(f, "gan" if "gan" in f else f)]
        for f, sets in table.items()
        if "digits" in sets
    ]
    median = sorted(ratios)[len(ratios) // 2] if ratios else 0.0
    print(
        f"bench: lab-calibrate measurements={len(seen)} cpu={cpu:.1f}s "
        f"load={load_before[0]:.2f}-{load_after[0]:.2f} loaded={int(loaded)} "
        f"digits_quick_vs_old_rule_median_ratio={median:.2f} "
        f"image_threads={image_threads} thread_factor={factors.get('median', 1.0):.3f}"
    )
    return 0
