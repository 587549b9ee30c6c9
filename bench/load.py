"""Agora under a members' load: locust (headless) against gunicorn on loopback, on PostgreSQL
and on the embedded SQLite.

The members are bench/locustfile.py: logged in (sessions made at seeding time), each reads a
topic 70 %, a list 15 %, searches 10 %, replies 5 % (with the CSRF token, like the browser's htmx),
thinking 1–5 s between clicks (locust's `between(1, 5)`). Every answer ≥ 400 and every connection
error is an error; "database is locked" in the server log is counted too. Prints p50/p95/p99 per
action and per scenario, the server's CPU per request, and a last line starting `bench: load`.

PostgreSQL runs on a throw-away cluster of this script's own (initdb + pg_ctl as the `postgres`
user in a temporary folder, port 8150, trust auth): after the measured minute, a second minute in
which that cluster is restarted halfway (`pg_ctl restart -m fast`, or stopped for
--db-down-seconds), reporting the errors inside the window, after it, and how long until the site
answered again. gunicorn listens on 8151 (PostgreSQL) and 8152 (SQLite).

    .venv/bin/python bench/load.py                      # both scenarios, 60 s each (+ restart)
    .venv/bin/python bench/load.py --only sqlite --seconds 20
"""

from __future__ import annotations

import argparse
import csv as csv_module
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.client import HTTPConnection, HTTPException
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forum as forum_bench

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"


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


# --- a throw-away PostgreSQL cluster (the machine's own is shared: never restart that one) ------


class PrivateCluster:
    """initdb + pg_ctl as the `postgres` OS user, in a temporary folder, trust auth, loopback."""

    BIN = Path("/usr/lib/postgresql/15/bin")

    def __init__(self, port: int) -> None:
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="agora-load-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.url = f"postgres://postgres@127.0.0.1:{port}/agora_load"
        shutil.chown(self.root, "postgres")

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                *args,
                "-o",
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
                "-c max_connections=200",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        subprocess.run(
            [
                "runuser",
                "-u",
                "postgres",
                "--",
                str(self.BIN / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._ctl("start")
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE agora_load")

    def restart(self, down_seconds: float = 0) -> None:
        if down_seconds:
            self._ctl("-m", "fast", "stop")
            time.sleep(down_seconds)
            self._ctl("start")
        else:
            self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._ctl("-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# --- load (locust, headless) -------------------------------------------------------------------


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


def run_locust(port: int, urls_file: Path, *, members: int, seconds: float, csv: Path) -> dict:
    """One headless locust run; returns its figures per action (from the CSV files it writes)."""
    csv.parent.mkdir(parents=True, exist_ok=True)
    cmd = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "-u",
        str(members),
        "-r",
        str(max(1, members // 5)),
        "-t",
        f"{seconds:.0f}s",
        "--csv",
        str(csv),
        "--only-summary",
        "--loglevel",
        "ERROR",
        "--stop-timeout",
        "10",
    ]
    env = {**os.environ, "AGORA_LOAD_URLS": str(urls_file)}
    with (csv.parent / f"{csv.name}.log").open("wb") as log:
        subprocess.run(cmd, env=env, check=False, stdout=log, stderr=subprocess.STDOUT)
    rows = {}
    with open(f"{csv}_stats.csv", newline="") as handle:
        for row in csv_module.DictReader(handle):
            name = "all" if row["Name"] == "Aggregated" else row["Name"]
            rows[name] = {
                "n": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "mean": float(row["Average Response Time"] or 0),
            }
    errors = Counter()
    with open(f"{csv}_failures.csv", newline="") as handle:
        for row in csv_module.DictReader(handle):
            errors[f"{row['Name']} {row['Method']} {row['Error'][:80]}"] += int(row["Occurrences"])
    history = []
    with open(f"{csv}_stats_history.csv", newline="") as handle:
        for row in csv_module.DictReader(handle):
            if row["Name"] == "Aggregated":
                history.append((float(row["Timestamp"]), int(row["Total Failure Count"])))
    everything = rows.get("all", {"n": 0, "p50": 0, "p95": 0, "p99": 0, "rps": 0})
    return {
        "requests": everything["n"],
        "rps": everything["n"] / seconds,
        "p50": everything["p50"],
        "p95": everything["p95"],
        "p99": everything["p99"],
        "errors": dict(errors),
        "actions": {name: row for name, row in sorted(rows.items()) if name != "all"},
        "history": history,
    }


def restart_database(
    cluster: PrivateCluster, port: int, *, after: float, down: float, out: dict
) -> None:
    """Halfway through the run: `pg_ctl restart -m fast` (or stop, wait, start); then how long
    until the site answers a page again."""
    time.sleep(after)
    out["start"] = time.time()
    cluster.restart(down)
    out["database_back"] = time.time()
    while True:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/latest/", headers={"Accept-Language": "en"})
            status = conn.getresponse().status
            conn.close()
        except (HTTPException, OSError):
            status = 0
        if status == 200:
            break
        time.sleep(0.05)
    out["site_back"] = time.time()


def failures_between(history: list[tuple[float, int]], start: float, end: float) -> int:
    """Failures counted by locust's per-second history between two wall-clock times."""
    before = max((count for stamp, count in history if stamp < start), default=0)
    until = max((count for stamp, count in history if stamp <= end), default=before)
    return until - before


def start_gunicorn(port: int, env: dict, args: argparse.Namespace, log: Path):
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "agora.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as handle:
        process = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return forum_bench.Server(f"agora-{port}", port, process, log)


def scenario(
    name: str,
    database_url: str,
    args: argparse.Namespace,
    members: int,
    *,
    port: int,
    cluster: PrivateCluster | None = None,
) -> dict:
    workdir = (args.workdir / name).resolve()
    shutil.rmtree(workdir / "locust", ignore_errors=True)
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    env = app_env(workdir, database_url)
    urls_file = workdir / "urls.json"
    if name == "sqlite":
        for suffix in ["", "-wal", "-shm"]:
            Path(f"{workdir / 'agora' / 'agora.sqlite3'}{suffix}").unlink(missing_ok=True)
    (workdir / "agora").mkdir(exist_ok=True)
    print(f"== {name}: seeding {args.topics} topics, {members} members", flush=True)
    subprocess.run(
        [
            sys.executable,
            __file__,
            "_seed",
            "--out",
            str(urls_file),
            "--topics",
            str(args.topics),
            "--posts-per-topic",
            str(args.posts_per_topic),
            "--members",
            str(members),
        ],
        env=env,
        check=True,
        cwd=REPO,
    )
    gunicorn_path = forum_bench.install_agora_gunicorn(args.workdir.resolve())
    env["PYTHONPATH"] = f"{gunicorn_path}:{REPO}"
    server = start_gunicorn(port, env, args, workdir / "logs" / "gunicorn.log")
    try:
        forum_bench.wait_ready(server, "/latest/")
        if args.warmup:
            run_locust(
                port,
                urls_file,
                members=members,
                seconds=args.warmup,
                csv=workdir / "locust" / "warmup",
            )
        print(f"== {name}: {members} members for {args.seconds:.0f}s", flush=True)
        cpu_before = cpu_seconds(server.process.pid)
        result = run_locust(
            port,
            urls_file,
            members=members,
            seconds=args.seconds,
            csv=workdir / "locust" / "measured",
        )
        result["cpu_ms_per_request"] = (
            (cpu_seconds(server.process.pid) - cpu_before) * 1000 / max(result["requests"], 1)
        )
        if cluster is not None and args.restart:
            how = (
                f"stopped for {args.db_down_seconds:.0f}s"
                if args.db_down_seconds
                else "restarted (pg_ctl restart -m fast)"
            )
            print(f"== {name}: again, with the database {how} halfway", flush=True)
            window: dict = {}
            thread = threading.Thread(
                target=restart_database,
                daemon=True,
                kwargs={
                    "cluster": cluster,
                    "port": port,
                    "after": args.seconds / 2,
                    "down": args.db_down_seconds,
                    "out": window,
                },
            )
            thread.start()
            faulted = run_locust(
                port,
                urls_file,
                members=members,
                seconds=args.seconds,
                csv=workdir / "locust" / "restart",
            )
            thread.join(timeout=120)
            settle = window["site_back"] + 2.0  # requests in flight when the site came back
            faulted["fault"] = {
                "database_down_s": window["database_back"] - window["start"],
                "recovery_s": window["site_back"] - window["start"],
                "errors_during_window": failures_between(
                    faulted["history"], window["start"], settle
                ),
                "errors_after_recovery": failures_between(faulted["history"], settle, float("inf")),
            }
            result["with_fault"] = faulted
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
        f"{result['rps']:6.1f}/s  p50 {result['p50']:6.0f} ms  p95 {result['p95']:6.0f} ms  "
        f"p99 {result['p99']:6.0f} ms  app CPU {result['cpu_ms_per_request']:.1f} ms/request  "
        f"errors {sum(result['errors'].values())} "
        f"{result['errors'] or ''}  'database is locked' {result['database_is_locked']}"
    )
    for action, row in result["actions"].items():
        print(f"    {action:<7} n={row['n']:<6} p50 {row['p50']:6.0f} ms  p95 {row['p95']:6.0f} ms")
    if result.get("with_fault"):
        f = result["with_fault"]
        print(
            f"    with the database restarted halfway: {f['requests']} requests, "
            f"p95 {f['p95']:.0f} ms, errors {sum(f['errors'].values())} {f['errors'] or ''}; "
            f"database down {f['fault']['database_down_s']:.1f} s, site answering again "
            f"{f['fault']['recovery_s']:.1f} s after the restart began; errors in the window "
            f"{f['fault']['errors_during_window']}, after it {f['fault']['errors_after_recovery']}"
        )


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
        seed(
            args.out, topics=args.topics, posts_per_topic=args.posts_per_topic, members=args.members
        )
        return 0
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-load")
    parser.add_argument("--pg-port", type=int, default=8150, help="the private cluster's port")
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
        "--no-restart",
        dest="restart",
        action="store_false",
        help="PostgreSQL: skip the second run with the database restarted halfway",
    )
    parser.add_argument(
        "--db-down-seconds",
        type=float,
        default=0,
        help="instead of `pg_ctl restart`, stop the cluster this long, then start it",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    results = {}
    load_before = os.getloadavg()[0]
    if args.only in (None, "postgresql"):
        cluster = PrivateCluster(args.pg_port)
        try:
            cluster.start()
            results["postgresql"] = scenario(
                "postgresql",
                cluster.url,
                args,
                args.pg_members,
                port=args.pg_port + 1,
                cluster=cluster,
            )
        finally:
            cluster.stop()
    if args.only in (None, "sqlite"):
        sqlite_url = f"sqlite:///{(args.workdir / 'sqlite' / 'agora' / 'agora.sqlite3').resolve()}"
        results["sqlite"] = scenario(
            "sqlite", sqlite_url, args, args.sqlite_members, port=args.pg_port + 2
        )
    load_avg = os.getloadavg()
    print(
        f"\n== results (locust between(1, 5) s think time; gunicorn {args.workers}x"
        f"{args.threads} gthread, loopback, {os.cpu_count()} CPUs, load average "
        f"{load_before:.1f} before, {load_avg[0]:.1f} after)"
    )
    for name, result in results.items():
        report(name, result)
    summary = " ".join(
        f"{name}={r['members']}m/p95={r['p95']:.0f}ms/p50={r['p50']:.0f}ms/"
        f"errors={sum(r['errors'].values())}/locked={r['database_is_locked']}/"
        f"cpu={r['cpu_ms_per_request']:.1f}ms"
        for name, r in results.items()
    )
    faulted = results.get("postgresql", {}).get("with_fault")
    if faulted:
        f = faulted["fault"]
        summary += (
            f" pg-restart=errors-during:{f['errors_during_window']}"
            f"/after:{f['errors_after_recovery']}/recovery:{f['recovery_s']:.1f}s"
        )
    print(f"bench: load {summary} seconds={args.seconds:.0f} load={load_avg[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
