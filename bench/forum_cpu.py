"""CPU per request of Agora's forum pages, in-process, on bench/forum.py's seeded database.

Calls the WSGI application gunicorn serves (`agora.wsgi.application`) with hand-built requests,
so every middleware, context processor and template runs as under load, and reports the process
CPU milliseconds per request (`time.process_time`) for a visitor and for logged-in members. On a
shared machine this moves far less than requests per second. `--profile` prints the cProfile
functions with the most cumulative time for each case.

    .venv/bin/python bench/forum.py --topics 1000 --seconds 1   # seeds var/bench-forum once
    .venv/bin/python bench/forum_cpu.py --page topic --requests 300
    .venv/bin/python bench/forum_cpu.py --page topic --who member --profile

Member requests write (read positions, the daily visit) like real ones; the bench database is
the bench's own (`--workdir`), never var/agora.sqlite3.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import forum as forum_bench  # bench/forum.py: the bench environment

REPO = forum_bench.REPO


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-forum")
    parser.add_argument(
        "--page", choices=["topic", "latest", "category", "categories"], default="topic"
    )
    parser.add_argument("--who", choices=["visitor", "member", "both"], default="both")
    parser.add_argument("--language", default="en", help="Accept-Language of the requests")
    parser.add_argument("--requests", type=int, default=300, help="measured requests per case")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile each case")
    parser.add_argument("--top", type=int, default=45, help="functions shown with --profile")
    parser.add_argument("--save", type=Path, help="write the first response's body here")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    workdir = args.workdir.resolve()
    urls_file = workdir / "agora-urls.json"
    if not urls_file.exists():
        sys.exit(f"no seeded data in {workdir}: run bench/forum.py first")
    os.environ.update(forum_bench.agora_env(workdir))
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.handlers.wsgi import WSGIHandler
    from django.utils import timezone

    from agora.accounts.models import User
    from agora.forum import selectors
    from agora.forum.models import Topic

    urls = json.loads(urls_file.read_text())
    application = WSGIHandler()
    rng = random.Random(forum_bench.SEED)
    member_paths = None
    if args.page == "topic":
        paths = urls["topics"]  # as bench/forum.py's visitors: any topic's first page
        # Members get topics of one page, so a visit is not redirected to the first unread post.
        short = set(
            Topic.objects.filter(highest_post_number__lte=selectors.POSTS_PER_PAGE).values_list(
                "id", flat=True
            )
        )
        member_paths = [u for u in paths if int(u.rstrip("/").rsplit("/", 1)[1]) in short]
    elif args.page == "latest":
        paths = [urls["latest"]]
    elif args.page == "categories":
        paths = ["/categories/"]
    else:
        paths = urls["categories"]

    def session_cookie(user: User) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store["agora_visit_day"] = timezone.now().date().isoformat()
        store.save()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    def call(path: str, cookie: str) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            # WSGI's PATH_INFO is the decoded path as latin-1 (PEP 3333), as gunicorn passes it.
            "PATH_INFO": unquote(path).encode().decode("latin-1"),
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8120",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT_LANGUAGE": args.language,
            "HTTP_COOKIE": cookie,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        status: list[str] = []
        body = application(environ, lambda s, h, e=None: status.append(s))
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")
        return data

    cases = ["visitor", "member"] if args.who == "both" else [args.who]
    members = list(User.objects.filter(username__startswith="bench").order_by("id")[:20])
    results = {}
    for case in cases:
        cookies = [""] if case == "visitor" else [session_cookie(m) for m in members]
        pool = member_paths if case == "member" and member_paths else paths
        sample = [(rng.choice(pool), rng.choice(cookies)) for _ in range(args.requests)]
        for path, cookie in sample[: args.warmup]:
            body = call(path, cookie)
        if args.save:
            args.save.with_suffix(f".{case}.html").write_bytes(body)
        profiler = cProfile.Profile() if args.profile else None
        started = time.process_time()
        if profiler:
            profiler.enable()
        size = 0
        for path, cookie in sample:
            size += len(call(path, cookie))
        if profiler:
            profiler.disable()
        cpu_ms = (time.process_time() - started) / len(sample) * 1000
        results[case] = cpu_ms
        print(
            f"{args.page} {case:<8} {cpu_ms:6.2f} ms CPU/request  "
            f"{size / len(sample) / 1024:5.1f} KB  ({len(sample)} requests, "
            f"{'profiled' if profiler else 'not profiled'})",
            flush=True,
        )
        if profiler:
            if os.environ.get("PROFILE_DUMP"):
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            stats = pstats.Stats(profiler, stream=sys.stdout)
            stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(args.top)
    print(
        "bench: forum_cpu "
        + " ".join(f"{args.page}_{case}={ms:.2f}ms" for case, ms in results.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
