"""The lab through the whole site path, against genlab called directly. Ends with `bench: lab ...`.

1. time from submitting a training run (POST /lab/runs/new/) to its first progress event stored
   by a real Celery worker, against genlab's own train() reaching its first progress callback
   with the same settings in this process;
2. a 16-image DDIM-50 generation: POST /lab/models/<id>/generate/ -> queue -> worker -> PNGs
   stored with their recipe -> the generation row says done, against `genlab.sample.generate`
   with the same recipe and checkpoint in this process; prints the site overhead ratio. The worker
   keeps checkpoints it has loaded, so the peer does too: the checkpoint is loaded once, and each
   direct generation only samples. The first pair (the worker's first use of the model) is
   reported apart: there both sides read, validate and hash the checkpoint.

The script trains its own tiny diffusion model on the 8x8 `digits` set (through the site, which is
item 1) in a throw-away SQLite database and var/ folder; the broker is the embedded filesystem one,
or Redis when REDIS_URL is set (use a database number of your own).

    .venv/bin/python bench/lab.py                    # 5 generations each way
    .venv/bin/python bench/lab.py --repeat 9 --train-steps 200
    nice -n 5 .venv/bin/python bench/lab.py --calibrate   # the new-run page's time estimates

`--calibrate` measures genlab's training speed per family, data set and preset on this machine
and writes agora/lab/calibration.json, which the lab's estimates read (bench/_lab_calibration.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def site_env(var: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "AGORA_ENV": "development",
        "AGORA_DEBUG": "0",
        "AGORA_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'agora.sqlite3'}",
        "SECRET_KEY": "bench-lab-not-a-secret",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "AGORA_LOG_LEVEL": "WARNING",
        "AGORA_TASKS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "agora.settings",
    }
    return env


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    name = f"bench-lab-{uuid.uuid4().hex[:6]}@%h"
    with log.open("wb") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "agora",
                "worker",
                "--queues",
                "default,training",
                "--pool",
                "solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                name,
            ],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


JOB_LINE = re.compile(
    r"generation (\d+) done: checkpoint (\w+) ([\d.]+) ms, sampling ([\d.]+) ms, "
    r"storing \d+ images ([\d.]+) ms \(CPU: ([\d.]+), ([\d.]+), ([\d.]+) ms\)"
)


def job_timings(log: Path) -> dict[int, dict[str, float]]:
    """What the worker logged about each generation job (agora.lab.execution.execute_generation)."""
    found = {}
    for match in JOB_LINE.finditer(log.read_text(errors="replace")):
        gid, how, *figures = match.groups()
        keys = ("checkpoint", "sampling", "storing")
        keys += tuple(f"{key}_cpu" for key in keys)
        found[int(gid)] = {
            "loaded": how == "loaded",
            **dict(zip(keys, map(float, figures), strict=True)),
        }
    return found


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; Linux /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class DatabaseWrites:
    """Sleeps until the bench's SQLite database (or its WAL) is written, so that a wait checks
    its row right after each write instead of polling: no query every few ms taking CPU from the
    worker being timed, and no polling period added to the measured time. Without inotify it is
    a plain 20 ms poll."""

    IN_MODIFY = 0x00000002

    def __init__(self, folder: Path) -> None:
        import ctypes
        import ctypes.util

        self.fd = -1
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd >= 0 and libc.inotify_add_watch(fd, os.fsencode(folder), self.IN_MODIFY) < 0:
                os.close(fd)
                fd = -1
            self.fd = fd
        except (OSError, AttributeError):  # not Linux
            pass

    def pause(self, at_most: float) -> None:
        import select

        if self.fd < 0:
            time.sleep(min(at_most, 0.02))
            return
        ready, _, _ = select.select([self.fd], [], [], max(at_most, 0))
        if ready:
            try:
                while os.read(self.fd, 65536):
                    pass
            except BlockingIOError:
                pass


WRITES: DatabaseWrites | None = None


def wait(predicate, *, timeout: float, what: str, every: float = 0.5) -> float:
    """Check predicate() after each database write (at least every `every` s) until it is true;
    returns the monotonic time it first was."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        WRITES.pause(every)


def direct_first_progress(run, out: Path) -> float:
    """The peer of item 1: genlab's train() with the run's settings, in this process, stopped at
    its first progress callback."""
    import torch
    from django.conf import settings

    from genlab.train import Callback, train

    class Stop(Callback):
        at = 0.0

        def on_progress(self, progress) -> None:
            self.at = time.monotonic()

        def should_cancel(self) -> bool:
            return self.at > 0

    torch.set_num_threads(settings.LAB_TORCH_THREADS)  # what the worker uses for image sets
    config = dict(run.settings)
    config["checkpoint_every"] = max(10, run.steps // 10)  # as the worker's run does
    stop = Stop()
    started = time.monotonic()
    train(config, out_dir=out, callbacks=[stop])
    return stop.at - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="generations each way")
    parser.add_argument("--train-steps", type=int, default=20, help="10 is the site's minimum")
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--sampler-steps", type=int, default=50)
    parser.add_argument(
        "--calibrate",
        action="store_true",
        help="measure training speed per family, data set and preset; write the estimates' table",
    )
    parser.add_argument("--calibrate-out", type=Path, default=None, help="another table path")
    parser.add_argument("--min-s", type=float, default=1.0, help="--calibrate: seconds per stage")
    parser.add_argument("--min-steps", type=int, default=4, help="--calibrate: steps per stage")
    parser.add_argument("--max-steps", type=int, default=40, help="--calibrate: at most")
    parser.add_argument("--family", action="append", help="--calibrate: only these (a check)")
    args = parser.parse_args()
    if args.calibrate:
        sys.path.insert(0, str(REPO))
        from _lab_calibration import OUT, calibrate

        return calibrate(
            min_s=args.min_s,
            min_steps=args.min_steps,
            max_steps=args.max_steps,
            out=args.calibrate_out or OUT,
            **({"families": tuple(args.family)} if args.family else {}),
        )

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stop the worker
    work = Path(tempfile.mkdtemp(prefix="bench-lab-"))
    env = site_env(work / "var")
    os.environ.update(env)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from agora.accounts.models import User
    from agora.core.models import WorkerHeartbeat
    from agora.lab.models import Generation, LabModel, TrainingRun
    from agora.lab.services import publishing
    from genlab.checkpoint import load
    from genlab.recipe import Recipe
    from genlab.sample import generate, images_sha256

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    global WRITES
    WRITES = DatabaseWrites(work / "var")
    owner = User.objects.create_user("bench", "bench@example.com", "not-used")
    client = Client()
    client.force_login(owner)
    broker = "redis" if env.get("REDIS_URL") else "filesystem"
    worker = start_worker(env, work / "worker.log")
    try:
        wait(WorkerHeartbeat.objects.exists, timeout=120, what="the worker", every=0.1)

        # 1. submit a run through the site; time to the first progress the worker stores
        submitted = time.monotonic()
        response = client.post(
            "/lab/runs/new/",
            {
                "title": "bench digits",
                "family": "diffusion",
                "dataset": "digits",
                "preset": "quick",
                "steps": args.train_steps,
                "seed": "0",
            },
        )
        if response.status_code != 302:
            raise RuntimeError(f"run not created ({response.status_code})")
        run = TrainingRun.objects.latest("id")
        first = wait(
            lambda: TrainingRun.objects.filter(pk=run.pk, step__gt=0).exists(),
            timeout=300,
            what="the first progress event",
        )
        first_progress_s = first - submitted
        wait(
            lambda: not TrainingRun.objects.get(pk=run.pk).is_active,
            timeout=1800,
            what="the training run",
            every=0.5,
        )
        run.refresh_from_db()
        if run.status != TrainingRun.Status.COMPLETED:
            raise RuntimeError(f"training ended {run.status}: {run.error}")
        direct_first_s = direct_first_progress(run, work / "direct-run")
        print(
            f"[1] run submitted -> first progress event (step {run.settings['log_every']}): "
            f"site {first_progress_s * 1000:.0f} ms, genlab train() directly "
            f"{direct_first_s * 1000:.0f} ms; overhead {first_progress_s - direct_first_s:+.2f} s"
        )
        model = publishing.publish_model(
            user=owner, run=run, name="bench digits", card="", licence="cc-by-4.0", private=True
        )

        # 2. the same recipe through the site and directly
        form = {
            "sampler": "ddim",
            "steps": args.sampler_steps,
            "guidance": "0",
            "seed": "1234",
            "label": "",
            "count": args.count,
        }
        site, direct, in_job, ids, request_cpu, direct_cpu = [], [], [], [], [], []
        worker_cpu_before = process_cpu(worker.pid)
        model_path = LabModel.objects.get(pk=model.pk).checkpoint.path
        checkpoint = None
        for i in range(args.repeat + 1):  # the first pair is the cold one, reported apart
            started, cpu_started = time.monotonic(), time.process_time()
            response = client.post(f"/lab/models/{model.pk}/generate/", form)
            cpu_request = time.process_time() - cpu_started
            if response.status_code != 302:
                raise RuntimeError(f"generation refused ({response.status_code})")
            generation = Generation.objects.latest("id")
            done = wait(
                lambda g=generation: Generation.objects.filter(
                    pk=g.pk, status__in=[Generation.Status.DONE, Generation.Status.FAILED]
                ).exists(),
                timeout=300,
                what="the generation",
            )
            generation.refresh_from_db()
            if not generation.is_done or len(generation.images) != args.count:
                raise RuntimeError(f"generation {generation.status}: {generation.error}")
            recipe = Recipe.from_json(json.dumps(generation.recipe))
            t0, cpu0 = time.monotonic(), time.process_time()
            if checkpoint is None:
                checkpoint = load(model_path)  # read, validate, hash: as the worker's first use
            images = generate(recipe, checkpoint)
            t1, cpu1 = time.monotonic(), time.process_time()
            if images.shape[0] != args.count:
                raise RuntimeError("direct generation made a different number of images")
            if images_sha256(images) != generation.images_sha256:
                raise RuntimeError("the site's images differ from genlab's for the same recipe")
            if i == 0:
                cold_site, cold_direct = done - started, t1 - t0
                cold_in_job = generation.duration_s
            else:
                site.append(done - started)
                direct.append(t1 - t0)
                in_job.append(generation.duration_s)
                ids.append(generation.pk)
                request_cpu.append(cpu_request)
                direct_cpu.append(cpu1 - cpu0)
            if i == 0:
                worker_cpu_before = process_cpu(worker.pid)
        worker_cpu = (process_cpu(worker.pid) - worker_cpu_before) / args.repeat
        # Pairs ran back to back, so their ratio is less exposed to the machine's load drifting.
        ratio = statistics.median(s / d for s, d in zip(site, direct, strict=True))
        outside = statistics.median(s - j for s, j in zip(site, in_job, strict=True))
        added = statistics.median(s - d for s, d in zip(site, direct, strict=True))
        site_s, direct_s = statistics.median(site), statistics.median(direct)
        overhead = ratio - 1
        print(
            f"[2] {args.count}-image DDIM-{args.sampler_steps}, {args.repeat} pairs: site path "
            f"median {site_s * 1000:.0f} ms, genlab directly {direct_s * 1000:.0f} ms; median "
            f"pair ratio {ratio:.3f} (overhead {overhead * 100:+.1f} %, median pair difference "
            f"{added * 1000:+.0f} ms); outside the worker's job (request, queue, pick-up, "
            f"polling) {outside * 1000:.0f} ms"
        )
        print(
            f"    first generation (the worker loads the model; directly: load + sample): site "
            f"{cold_site * 1000:.0f} ms, genlab directly {cold_direct * 1000:.0f} ms; outside "
            f"the job {(cold_site - cold_in_job) * 1000:.0f} ms"
        )
        logged = job_timings(work / "worker.log")
        jobs = [logged[pk] for pk in ids if pk in logged]
        if jobs:

            def med(key: str) -> float:
                return statistics.median(job[key] for job in jobs)

            cached = sum(not job["loaded"] for job in jobs)
            print(
                f"    inside the worker's job (median of {len(jobs)}; {cached} with the model "
                f"from the worker's cache): checkpoint {med('checkpoint'):.1f} ms "
                f"({med('checkpoint_cpu'):.1f} ms CPU), sampling {med('sampling'):.1f} ms "
                f"({med('sampling_cpu'):.0f} ms CPU), storing {args.count} PNGs "
                f"{med('storing'):.1f} ms ({med('storing_cpu'):.1f} ms CPU)"
            )
            in_job_cpu = statistics.mean(
                j["checkpoint_cpu"] + j["sampling_cpu"] + j["storing_cpu"] for j in jobs
            )
            print(
                f"    CPU per generation: the request with its enqueue "
                f"{statistics.median(request_cpu) * 1000:.1f} ms; the worker outside the job "
                f"(pick-up, claim, row update, acknowledgement, idle polling) "
                f"{worker_cpu * 1000 - in_job_cpu:.1f} ms; genlab directly "
                f"{statistics.median(direct_cpu) * 1000:.0f} ms (sampling in the worker "
                f"{med('sampling_cpu'):.0f} ms)"
            )
        print(
            f"bench: lab broker={broker} first_progress={first_progress_s:.2f}s "
            f"first_progress_direct={direct_first_s:.2f}s "
            f"site={site_s:.3f}s direct={direct_s:.3f}s added={added:.3f}s "
            f"outside_job={outside:.3f}s "
            f"ratio={ratio:.3f} overhead={overhead * 100:.1f}%"
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
