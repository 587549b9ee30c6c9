"""OpenMP wait policy under load: a 2-thread genlab training step with libgomp's default (spinning)
waits against PASSIVE (sleeping) waits, with and without one competing busy process, measured in
fresh subprocesses of this run (the policy is read once, when torch loads libgomp). Prints the
wall-clock and CPU cost per step and ends with `bench: threads ...`.

    .venv/bin/python bench/threads.py                     # diffusion and VAE, 20 steps each
    .venv/bin/python bench/threads.py --families vae --steps 60

genlab and agora set OMP_WAIT_POLICY=PASSIVE unless the environment says otherwise
(genlab/__init__.py); this bench is the evidence for that default.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time, torch
from genlab.config import resolve_config
from genlab.family import build_family
from genlab.train import prepare
torch.set_num_threads(int(sys.argv[1]))
cfg, tr, _, spec = prepare(resolve_config(sys.argv[2], "mnist5k"))
model = build_family(cfg, spec)
gen = torch.Generator().manual_seed(0)
model.train_mode()
for i in range(3):
    model.train_step(tr, gen, i)
n = int(sys.argv[3])
c, w = time.process_time(), time.perf_counter()
for i in range(n):
    model.train_step(tr, gen, 3 + i)
print(json.dumps({"cpu": (time.process_time() - c) / n, "wall": (time.perf_counter() - w) / n}))
"""


def busy(stop: mp.Event) -> None:  # type: ignore[valid-type]
    x = 0
    while not stop.is_set():  # type: ignore[attr-defined]
        for _ in range(100_000):
            x += 1


def measure(policy: str, threads: int, family: str, steps: int) -> dict[str, float]:
    env = dict(os.environ, OMP_WAIT_POLICY=policy, PYTHONPATH=str(ROOT))
    env.pop("OMP_NUM_THREADS", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(threads), family, str(steps)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--families", default="diffusion,vae")
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args()
    print(f"    load average before {os.getloadavg()}", flush=True)
    summary = []
    for family in args.families.split(","):
        res = {}
        for loaded in (False, True):
            stop = mp.Event()
            hog = mp.Process(target=busy, args=(stop,), daemon=True) if loaded else None
            if hog:
                hog.start()
                time.sleep(0.5)
            try:
                for policy in ("ACTIVE", "PASSIVE"):
                    for threads in (1, 2):
                        r = measure(policy, threads, family, args.steps)
                        res[(loaded, policy, threads)] = r
                        where = "one busy process" if loaded else "no other load"
                        print(
                            f"    {family:9s} {where:16s}"
                            f" {policy:7s} {threads} thread(s): {r['wall'] * 1e3:7.1f} ms wall, "
                            f"{r['cpu'] * 1e3:7.1f} ms CPU per step",
                            flush=True,
                        )
            finally:
                if hog:
                    stop.set()
                    hog.join()
        ratio = res[(True, "ACTIVE", 2)]["wall"] / res[(True, "PASSIVE", 2)]["wall"]
        quiet = res[(False, "PASSIVE", 2)]["wall"] / res[(False, "ACTIVE", 2)]["wall"]
        print(
            f"[{family}] 2 threads beside one busy process: spinning waits {ratio:.1f}x the wall "
            f"clock of sleeping ones; with no other load sleeping waits cost {quiet:.2f}x",
            flush=True,
        )
        summary.append(f"{family} loaded {ratio:.1f}x, quiet {quiet:.2f}x")
    print(f"    load average after {os.getloadavg()}")
    print("bench: threads PASSIVE vs ACTIVE, 2 threads: " + "; ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
