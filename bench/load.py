"""Agora under a members' load: gunicorn on loopback, on PostgreSQL and on the embedded SQLite.

Each simulated member loops: pick an action (reading a topic 70%, a list 15%, a search 10%,
posting a reply 5%), wait for the answer, think 0.5–1.5 s (like locust's `between(0.5, 1.5)`),
again. Members are logged in (sessions made at seeding time); replies carry the CSRF token like
the browser's htmx does. Every non-2xx/3xx answer and every connection error counts as an error;
"database is locked" in the server log is counted too. Prints p50/p95/p99 per action and per
scenario, and a last line starting `bench: load`.

    .venv/bin/python bench/load.py                      # both scenarios, 60 s each
    .venv/bin/python bench/load.py --only sqlite --seconds 20

PostgreSQL: --pg-url names a database this script drops and creates (default
agora_hardening_load on 127.0.0.1, trust auth). Everything else lives under --workdir.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import quote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forum as forum_bench

REPO = Path(__file__).resolve().parent.parent
MIX = [("topic", 70), ("list", 15), ("search", 10), ("post", 5)]
SEARCH_WORDS = ["sampler", "LoRA", "video", "prompt", "模型", "steps", "training", "扩散"]
CSRF_SECRET = "b" * 32  # an unmasked 32-character secret: Django accepts it as token and cookie


def app_env(workdir: Path, database_url: str) -> dict[str, str]:
    env = forum_bench.agora_env(workdir)
    env.update(
        {
            "DATABASE_URL": database_url,
            "AGORA_BROKER_DIR": str(workdir / "broker"),
            "AGORA_MEDIA_ROOT": str(workdir / "media"),
            "AGORA_LOG_LEVEL": "WARNING",
        }
    )
    env.pop("REDIS_URL", None)
    return env


# --- seeding (runs in a child process pointed at the scenario's database) ----------------------


def seed(out: Path, *, topics: int, posts_per_topic: int, members: int) -> None:
    import django

    sys.path.insert(0, str(REPO))
    django.setup()
    from allauth.account.models import EmailAddress
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from agora.accounts.models import User
    from agora.moderation.models import MemberStats

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    # The forum bench's data set, smaller; seed_agora resets the environment: keep our database.
    workdir = out.parent
    url = os.environ["DATABASE_URL"]
    original = forum_bench.agora_env
    forum_bench.agora_env = lambda w: {**original(w), "DATABASE_URL": url}
    urls = forum_bench.seed_agora(workdir, topics=topics, posts_per_topic=posts_per_topic)
    forum_bench.agora_env = original
    sessions = []
    for i in range(members):
        name = f"loadmember{i}"
        user = User.objects.create_user(username=name, email=f"{name}@example.com")
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        MemberStats.objects.create(user=user, trust_level=2)
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        sessions.append(store.session_key)
    call_command("rebuild_search_index", stdout=open(os.devnull, "w"))  # noqa: SIM115
    urls["sessions"] = sessions
    urls["topic_ids"] = [int(u.rstrip("/").split("/")[-1]) for u in urls["topics"]]
    out.write_text(json.dumps(urls))


def prepare_postgres(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


# --- load --------------------------------------------------------------------------------------


class Member(threading.Thread):
    def __init__(self, slot: int, port: int, urls: dict, deadline: float, stats: dict) -> None:
        super().__init__(daemon=True)
        self.rng = random.Random(forum_bench.SEED + slot)
        self.port, self.urls, self.deadline, self.stats = port, urls, deadline, stats
        self.session = urls["sessions"][slot % len(urls["sessions"])]
        self.slot = slot
        self.posted = 0

    def pick(self) -> tuple[str, str, str, bytes | None]:
        action = self.rng.choices([a for a, _ in MIX], weights=[w for _, w in MIX])[0]
        if action == "topic":
            return action, "GET", self.rng.choice(self.urls["topics"]), None
        if action == "list":
            path = self.rng.choice(["/latest/", "/top/", "/categories/", *self.urls["categories"]])
            return action, "GET", path, None
        if action == "search":
            return action, "GET", "/search/?q=" + quote(self.rng.choice(SEARCH_WORDS)), None
        topic_id = self.rng.choice(self.urls["topic_ids"])
        self.posted += 1
        raw = f"Load reply {self.slot}-{self.posted}-{secrets.token_hex(4)}: the sampler held up."
        body = f"raw={quote(raw)}".encode()
        return action, "POST", f"/t/{topic_id}/reply/", body

    def run(self) -> None:
        conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        cookie = f"sessionid={self.session}; csrftoken={CSRF_SECRET}"
        while time.monotonic() < self.deadline:
            action, method, path, body = self.pick()
            headers = {"Accept-Language": "en", "Cookie": cookie}
            if body is not None:
                headers |= {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-CSRFToken": CSRF_SECRET,
                }
            begun = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (HTTPException, OSError) as exc:
                status = type(exc).__name__
                conn.close()
                conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
            elapsed = time.perf_counter() - begun
            with self.stats["lock"]:
                self.stats["latency"][action].append(elapsed)
                if not (isinstance(status, int) and status < 400):
                    self.stats["errors"][f"{action} {method} {status}"] += 1
                    self.stats["error_times"].append(time.monotonic())
            if not isinstance(status, int) or response.will_close:
                conn.close()
                conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
            time.sleep(self.rng.uniform(0.5, 1.5))
        conn.close()


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU of a process and its children (the gunicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if root_pid in (pid, ppid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def kill_connections(database_url: str, *, after: float, window: float, out: dict) -> None:
    """What a PostgreSQL restart looks like to the app: every connection to the database is
    terminated, and new ones too, for `window` seconds."""
    import psycopg

    parsed = urlparse(database_url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    time.sleep(after)
    out["start"] = time.monotonic()
    killed = 0
    with psycopg.connect(admin, autocommit=True) as conn:
        while time.monotonic() < out["start"] + window:
            killed += conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()[0]
            time.sleep(0.1)
    out["end"] = time.monotonic()
    out["killed"] = killed


def load(port: int, urls: dict, *, members: int, seconds: float, fault: dict | None = None) -> dict:
    stats = {"lock": threading.Lock(), "latency": defaultdict(list), "errors": Counter(),
             "error_times": []}  # fmt: skip
    deadline = time.monotonic() + seconds
    fault_thread = None
    if fault:
        fault_thread = threading.Thread(target=kill_connections, kwargs=fault, daemon=True)
        fault_thread.start()
    threads = [Member(i, port, urls, deadline, stats) for i in range(members)]
    for i, thread in enumerate(threads):
        thread.start()
        time.sleep(1.0 / members * (i % 2))  # a gentle ramp, not a thundering herd
    for thread in threads:
        thread.join()
    fault_report = {}
    if fault_thread is not None:
        fault_thread.join()
        window = fault["out"]
        settle = window["end"] + 2.0  # requests already in flight when the window closed
        fault_report = {
            "killed_connections": window["killed"],
            "errors_during_window": sum(
                window["start"] <= t <= settle for t in stats["error_times"]
            ),
            "errors_after_recovery": sum(t > settle for t in stats["error_times"]),
        }
    everything = [v for values in stats["latency"].values() for v in values]
    return {
        "requests": len(everything),
        "rps": len(everything) / seconds,
        "errors": dict(stats["errors"]),
        "p50": percentile(everything, 0.50),
        "p95": percentile(everything, 0.95),
        "p99": percentile(everything, 0.99),
        "fault": fault_report,
        "actions": {
            action: {
                "n": len(values),
                "p50": percentile(values, 0.50),
                "p95": percentile(values, 0.95),
                "mean": statistics.fmean(values) * 1000,
            }
            for action, values in sorted(stats["latency"].items())
        },
    }


def scenario(name: str, database_url: str, args: argparse.Namespace, members: int) -> dict:
    workdir = (args.workdir / name).resolve()
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    env = app_env(workdir, database_url)
    urls_file = workdir / "urls.json"
    if name == "postgresql":
        prepare_postgres(database_url)
    else:
        for suffix in ["", "-wal", "-shm"]:
            Path(f"{workdir / 'agora' / 'agora.sqlite3'}{suffix}").unlink(missing_ok=True)
    (workdir / "agora").mkdir(exist_ok=True)
    print(f"== {name}: seeding {args.topics} topics, {members} members", flush=True)
    subprocess.run(
        [sys.executable, __file__, "_seed", "--out", str(urls_file), "--topics", str(args.topics),
         "--posts-per-topic", str(args.posts_per_topic), "--members", str(members)],
        env=env, check=True, cwd=REPO,
    )  # fmt: skip
    urls = json.loads(urls_file.read_text())
    gunicorn_path = forum_bench.install_agora_gunicorn(args.workdir.resolve())
    env["PYTHONPATH"] = f"{gunicorn_path}:{REPO}"
    server = forum_bench.start_server(
        f"agora-{name}", python=Path(sys.executable), app="agora.wsgi:application", cwd=REPO,
        env=env, workers=args.workers, threads=args.threads, logdir=workdir / "logs",
    )  # fmt: skip
    try:
        forum_bench.wait_ready(server, "/latest/")
        if args.warmup:
            load(server.port, urls, members=members, seconds=args.warmup)  # not measured
        print(f"== {name}: {members} members for {args.seconds:.0f}s", flush=True)
        cpu_before = cpu_seconds(server.process.pid)
        result = load(server.port, urls, members=members, seconds=args.seconds)
        result["cpu_ms_per_request"] = (
            (cpu_seconds(server.process.pid) - cpu_before) * 1000 / max(result["requests"], 1)
        )
        if name == "postgresql" and args.fault_seconds:
            print(f"== {name}: again, with every database connection killed for "
                  f"{args.fault_seconds:.0f}s halfway", flush=True)  # fmt: skip
            fault = {"database_url": database_url, "after": args.seconds / 2,
                     "window": args.fault_seconds, "out": {}}  # fmt: skip
            result["with_fault"] = load(
                server.port, urls, members=members, seconds=args.seconds, fault=fault
            )
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    result["database_is_locked"] = log.count("database is locked")
    result["server_tracebacks"] = log.count("Traceback")
    result["members"] = members
    return result


def report(name: str, result: dict) -> None:
    print(
        f"{name:<11} {result['members']:>3} members  {result['requests']:>6} requests "
        f"{result['rps']:6.1f}/s  p50 {result['p50']:6.1f} ms  p95 {result['p95']:6.1f} ms  "
        f"p99 {result['p99']:6.1f} ms  app CPU {result['cpu_ms_per_request']:.0f} ms/request  "
        f"errors {sum(result['errors'].values())} "
        f"{result['errors'] or ''}  'database is locked' {result['database_is_locked']}"
    )
    if result.get("with_fault"):
        f = result["with_fault"]
        print(
            f"    with the database connections killed for a moment: {f['requests']} requests, "
            f"p95 {f['p95']:.1f} ms, errors {sum(f['errors'].values())} {f['errors'] or ''}, "
            f"{f['fault']['killed_connections']} connections killed, errors during the window "
            f"{f['fault']['errors_during_window']}, after recovery "
            f"{f['fault']['errors_after_recovery']}"
        )
    for action, row in result["actions"].items():
        print(f"    {action:<7} n={row['n']:<6} p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = sys.argv[1:2] == ["_seed"]
    if sub:
        parser.add_argument("cmd")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--topics", type=int, required=True)
        parser.add_argument("--posts-per-topic", type=int, required=True)
        parser.add_argument("--members", type=int, required=True)
        args = parser.parse_args()
        seed(args.out, topics=args.topics, posts_per_topic=args.posts_per_topic,
             members=args.members)  # fmt: skip
        return 0
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-load")
    parser.add_argument(
        "--pg-url", default="postgres://postgres@127.0.0.1:5432/agora_hardening_load"
    )
    parser.add_argument("--pg-members", type=int, default=50)
    parser.add_argument("--sqlite-members", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10, help="unmeasured seconds first")
    parser.add_argument("--topics", type=int, default=500)
    parser.add_argument("--posts-per-topic", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--only", choices=["postgresql", "sqlite"])
    parser.add_argument(
        "--fault-seconds", type=float, default=3,
        help="PostgreSQL: a second run with all connections killed this long halfway (0: off)",
    )  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    results = {}
    if args.only in (None, "postgresql"):
        results["postgresql"] = scenario("postgresql", args.pg_url, args, args.pg_members)
    if args.only in (None, "sqlite"):
        sqlite_url = f"sqlite:///{(args.workdir / 'sqlite' / 'agora' / 'agora.sqlite3').resolve()}"
        results["sqlite"] = scenario("sqlite", sqlite_url, args, args.sqlite_members)
    load_avg = os.getloadavg()
    print(f"\n== results (gunicorn {args.workers}x{args.threads} gthread, loopback, "
          f"{os.cpu_count()} CPUs, load average {load_avg[0]:.2f})")  # fmt: skip
    for name, result in results.items():
        report(name, result)
    faulted = results.get("postgresql", {}).get("with_fault")
    summary = " ".join(
        f"{name}={r['members']}m/p95={r['p95']:.0f}ms/p50={r['p50']:.0f}ms/"
        f"errors={sum(r['errors'].values())}/locked={r['database_is_locked']}/"
        f"cpu={r['cpu_ms_per_request']:.0f}ms"
        for name, r in results.items()
    )
    if faulted:
        summary += (
            f" pg-fault=errors-during:{faulted['fault']['errors_during_window']}"
            f"/after:{faulted['fault']['errors_after_recovery']}"
        )
    print(f"bench: load {summary} seconds={args.seconds:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
