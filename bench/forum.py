"""Agora against Spirit on the same data, the same WSGI server and the same load.

Seeds both forums with the same deterministic topics and posts (mixed English and Chinese, some
Markdown), serves each with gunicorn on loopback, loads the topic page, the latest list and a
category page from concurrent keep-alive clients, and prints requests per second, p95 latency and
the throughput ratio. Everything it creates lives under --workdir (default var/bench-forum/).

    .venv/bin/python bench/forum.py --topics 1000 --posts-per-topic 20 --seconds 10

With --misago-venv (a virtualenv holding misago==0.39.*, gunicorn and psycopg2-binary), Agora on
PostgreSQL (--pg-url) and Misago on PostgreSQL join the run with the same data and page sizes.

This module imports no Django at the top: bench/_forum_spirit.py imports the data generator from
it under Spirit's own interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection, HTTPException
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
GUNICORN = "gunicorn==27.0.1"
SPIRIT = "django-spirit==0.14.3"
SEED = 20260101
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
USER_COUNT = 200
BATCH_TOPICS = 500
# Agora's page sizes (agora.forum.selectors); Spirit is configured to the same.
TOPICS_PER_PAGE = 30
POSTS_PER_PAGE = 20

# --- the data set, identical for both forums ----------------------------------------------------

# (name, Chinese name, slug, description, colour)
CATEGORIES = [
    ("Text to image", "文生图", "text-to-image", "Prompts, samplers and models.", "#7c3aed"),
    ("Video", "视频生成", "video", "Generating and editing video.", "#db2777"),
    ("Audio", "音频与语音", "audio", "Music, speech and sound.", "#059669"),
    ("Training", "模型训练", "training", "Fine-tuning, LoRA and data sets.", "#d97706"),
    ("Showcase", "作品展示", "showcase", "Share what you made.", "#2563eb"),
    ("Research", "论文讨论", "research", "Papers and ideas.", "#4b5563"),
    ("Help", "求助", "help", "Questions and answers.", "#dc2626"),
    ("Off topic", "闲聊", "off-topic", "Everything else.", "#0891b2"),
]

TITLES_EN = [
    "Which sampler gives the sharpest results at 20 steps",
    "LoRA training keeps overfitting after 2000 steps",
    "How do you caption a data set of sketches",
    "Comparing DDIM and DPM++ on the same seed",
    "My first short film made with video diffusion",
    "Is EMA worth it for small fine-tunes",
    "Best settings for upscaling anime art",
    "Voice cloning with ten minutes of audio",
    "Why does classifier-free guidance oversaturate",
    "Sharing my ComfyUI workflow for product shots",
]
TITLES_ZH = [
    "二十步以内哪个采样器效果最好",
    "LoRA 训练两千步之后总是过拟合",
    "素描数据集应该怎么写标注",
    "同一个种子下 DDIM 和 DPM++ 的对比",
    "用视频扩散模型做的第一部短片",
    "小规模微调有必要用 EMA 吗",
    "动漫图片放大的最佳参数",
    "只有十分钟音频能做声音克隆吗",
    "为什么无分类器引导会过饱和",
    "分享我做产品图的 ComfyUI 工作流",
]
PARAGRAPHS_EN = [
    "I tried this with **Euler a** and the result was noticeably softer than with DPM++ 2M.",
    "Have you checked the learning rate? Anything above `1e-4` overfits quickly for me.",
    "Here is what worked:\n\n1. Resize to 768px\n2. Caption with a short style tag\n"
    "3. Train for 1500 steps",
    "The paper explains it well, see [the DDIM paper](https://arxiv.org/abs/2010.02502).",
    "```python\nfor t in scheduler.timesteps:\n    noise = unet(x, t).sample\n"
    "    x = scheduler.step(noise, t, x).prev_sample\n```",
    "Thanks, that fixed it. The artefacts were coming from the VAE, not the sampler.",
    "> guidance above 9 always burns the highlights\n\nSame here, 5 to 7 is my sweet spot.",
    "I would not trust FID numbers below 10k samples, the variance is huge.",
    "Great work! What hardware did you use, and how long did it take?",
    "- more steps do not help after 30\n- a better prompt helps a lot\n- negative prompts matter",
    "Could you share the seed and the full prompt? I want to reproduce it.",
    "This is *exactly* the problem I had last week. Switching to bf16 solved it.",
]
PARAGRAPHS_ZH = [
    "我用 **Euler a** 试了一下，效果比 DPM++ 2M 明显更柔和。",
    "学习率检查过吗？对我来说超过 `1e-4` 很快就会过拟合。",
    "我的做法是：\n\n1. 缩放到 768 像素\n2. 用简短的风格标签做标注\n3. 训练 1500 步",
    "论文里讲得很清楚，可以看看 [DDIM 论文](https://arxiv.org/abs/2010.02502)。",
    "谢谢，问题解决了。伪影来自 VAE，而不是采样器。",
    "> 引导系数超过 9 高光总是过曝\n\n我也是，5 到 7 之间效果最好。",
    "样本数少于一万的时候 FID 的数值不太可信，方差太大了。",
    "做得太好了！用的什么显卡，训练了多久？",
    "- 超过 30 步之后再加步数没有帮助\n- 提示词写好更重要\n- 反向提示词也很关键",
    "能分享一下种子和完整的提示词吗？我想复现一下。",
    "这正是我上周遇到的问题，换成 bf16 之后就好了。",
    "中文社区里关于音频生成的讨论还不多，希望大家多分享经验。",
]


@dataclass(frozen=True)
class SeedPost:
    author: int  # index into the bench users
    text: str
    at: datetime


@dataclass
class SeedTopic:
    index: int
    title: str
    category: int  # index into CATEGORIES
    author: int
    posts: list[SeedPost] = field(default_factory=list)

    @property
    def created_at(self) -> datetime:
        return self.posts[0].at

    @property
    def bumped_at(self) -> datetime:
        return self.posts[-1].at


def usernames() -> list[str]:
    return [f"bench{i:03d}" for i in range(USER_COUNT)]


def _text(rng: random.Random) -> str:
    # Two paragraphs from a small pool: realistic Markdown, a few thousand distinct texts.
    pool = PARAGRAPHS_ZH if rng.random() < 0.4 else PARAGRAPHS_EN
    first, second = rng.sample(pool, 2)
    return f"{first}\n\n{second}"


def seed_topics(*, count: int, posts_per_topic: int) -> Iterator[SeedTopic]:
    """The same topics, in the same order, on every call (seeded RNG, fixed clock)."""
    rng = random.Random(SEED)
    start = BASE_TIME - timedelta(days=365)
    step = timedelta(days=365) / max(count, 1)
    for index in range(count):
        titles = TITLES_ZH if rng.random() < 0.4 else TITLES_EN
        topic = SeedTopic(
            index=index,
            title=f"{rng.choice(titles)} #{index + 1}",
            category=rng.randrange(len(CATEGORIES)),
            author=rng.randrange(USER_COUNT),
        )
        at = start + step * index
        # Mean posts_per_topic, at least one post (the opening post).
        for number in range(rng.randint(1, max(1, 2 * posts_per_topic - 1))):
            author = topic.author if number == 0 else rng.randrange(USER_COUNT)
            topic.posts.append(SeedPost(author=author, text=_text(rng), at=at))
            at += timedelta(minutes=rng.randint(1, 600))
        yield topic


def batches(*, count: int, posts_per_topic: int) -> Iterator[list[SeedTopic]]:
    batch: list[SeedTopic] = []
    for topic in seed_topics(count=count, posts_per_topic=posts_per_topic):
        batch.append(topic)
        if len(batch) == BATCH_TOPICS:
            yield batch
            batch = []
    if batch:
        yield batch


def progress(label: str, done: int, total: int, started: float) -> None:
    print(f"  {label}: {done}/{total} topics ({time.monotonic() - started:.0f}s)", flush=True)


# --- Agora -----------------------------------------------------------------------------------


def agora_env(workdir: Path, database_url: str = "") -> dict[str, str]:
    """Agora's environment: SQLite in workdir/agora/, or `database_url` (PostgreSQL, the peer of
    Misago) with workdir/agora-pg/ as its var folder."""
    var = workdir / ("agora-pg" if database_url else "agora")
    return {
        **os.environ,
        "AGORA_ENV": "development",
        "AGORA_DEBUG": "0",
        "AGORA_VAR_DIR": str(var),
        "DATABASE_URL": database_url or f"sqlite:///{var / 'agora.sqlite3'}",
        "SECRET_KEY": "bench-forum-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "AGORA_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "agora.settings",
    }


def seed_agora(workdir: Path, *, topics: int, posts_per_topic: int, database_url: str = "") -> dict:
    """Runs in this process: the environment points Django at the bench's own database (Django
    is set up once a process, so the PostgreSQL copy is seeded by a child: `seed_agora_pg`)."""
    os.environ.update(agora_env(workdir, database_url))
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction

    from agora.accounts.models import User
    from agora.core.markdown import render
    from agora.forum import selectors
    from agora.forum.models import Category, Post, Topic

    if (selectors.TOPICS_PER_PAGE, selectors.POSTS_PER_PAGE) != (TOPICS_PER_PAGE, POSTS_PER_PAGE):
        raise RuntimeError("Agora's page sizes changed: update TOPICS_PER_PAGE, POSTS_PER_PAGE")

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    # Keep the generator's timestamps instead of "now".
    Topic._meta.get_field("created_at").auto_now_add = False
    Post._meta.get_field("created_at").auto_now_add = False

    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=name, email=f"{name}@example.com", password=unusable)
            for name in usernames()
        ]
    )
    categories = Category.objects.bulk_create(
        [
            Category(
                name=name, name_zh=name_zh, slug=slug, description=desc, color=color, position=i
            )
            for i, (name, name_zh, slug, desc, color) in enumerate(CATEGORIES)
        ]
    )
    html: dict[str, str] = {}
    topic_urls: list[str] = []
    cat_topics = Counter[int]()
    cat_posts = Counter[int]()
    started = time.monotonic()
    done = 0
    for batch in batches(count=topics, posts_per_topic=posts_per_topic):
        with transaction.atomic():
            rows = Topic.objects.bulk_create(
                [
                    Topic(
                        title=seed.title,
                        category=categories[seed.category],
                        author=users[seed.author],
                        created_at=seed.created_at,
                        bumped_at=seed.bumped_at,
                        last_posted_at=seed.bumped_at,
                        last_poster=users[seed.posts[-1].author],
                        highest_post_number=len(seed.posts),
                        post_count=len(seed.posts),
                    )
                    for seed in batch
                ]
            )
            posts = []
            for seed, topic in zip(batch, rows, strict=True):
                cat_topics[seed.category] += 1
                cat_posts[seed.category] += len(seed.posts)
                topic_urls.append(topic.get_absolute_url())
                for number, post in enumerate(seed.posts, start=1):
                    if post.text not in html:
                        html[post.text] = render(post.text)
                    posts.append(
                        Post(
                            topic=topic,
                            number=number,
                            author=users[post.author],
                            raw=post.text,
                            html=html[post.text],
                            created_at=post.at,
                        )
                    )
            Post.objects.bulk_create(posts, batch_size=2000)
        done += len(batch)
        progress("agora", done, topics, started)
    for i, category in enumerate(categories):
        category.topic_count = cat_topics[i]
        category.post_count = cat_posts[i]
    Category.objects.bulk_update(categories, ["topic_count", "post_count"])
    return {
        "latest": "/latest/",
        "topics": topic_urls,
        "categories": [c.get_absolute_url() for c in categories],
    }


# --- Spirit ----------------------------------------------------------------------------------

SPIRIT_SETTINGS = '''"""Spirit for the bench: DEBUG off, our SQLite pragmas, reused connections."""

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-forum-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ADMINS = ()
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": {db!r},
        "CONN_MAX_AGE": 60,  # as Agora's: connections kept between requests
        "OPTIONS": {{
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
        }},
    }}
}}
# Seeding uses bulk inserts; no search index is needed for the pages under test.
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ST_UNICODE_SLUGS = True
ST_SITE_URL = "http://127.0.0.1/"
LOGGING["loggers"][""]["level"] = "WARNING"  # noqa: F405
'''


@dataclass(frozen=True)
class SpiritPaths:
    venv: Path
    project: Path

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "spiritbench.settings.bench",
            "PYTHONPATH": str(self.project),
        }


def run(cmd: list[str], **kwargs) -> None:
    print("  $ " + " ".join(str(part) for part in cmd), flush=True)
    subprocess.run([str(part) for part in cmd], check=True, **kwargs)


def install_spirit(workdir: Path) -> SpiritPaths:
    paths = SpiritPaths(venv=workdir / "spirit-venv", project=workdir / "spirit")
    if not (paths.venv / "bin" / "gunicorn").exists():
        run(["python3.11", "-m", "venv", paths.venv])
        run([paths.python, "-m", "pip", "install", "-q", SPIRIT, GUNICORN])
    if not (paths.project / "manage.py").exists():
        paths.project.mkdir(parents=True, exist_ok=True)
        run(
            [paths.venv / "bin" / "spirit", "startproject", "spiritbench", "--path", paths.project],
            env=paths.env,
        )
    settings = paths.project / "spiritbench" / "settings" / "bench.py"
    settings.write_text(SPIRIT_SETTINGS.format(db=str(workdir / "spirit.sqlite3")))
    return paths


def seed_spirit(paths: SpiritPaths, *, topics: int, posts_per_topic: int, out: Path) -> None:
    manage = paths.project / "manage.py"
    run([paths.python, manage, "migrate", "--noinput", "-v", "0"], env=paths.env)
    run([paths.python, manage, "createcachetable"], env=paths.env)
    helper = Path(__file__).with_name("_forum_spirit.py")
    run(
        [
            paths.python,
            helper,
            "--topics",
            topics,
            "--posts-per-topic",
            posts_per_topic,
            "--out",
            out,
        ],
        env=paths.env,
    )


def install_agora_gunicorn(workdir: Path) -> Path:
    """gunicorn goes into a folder of the bench's own, put on PYTHONPATH; .venv is untouched."""
    target = workdir / "agora-gunicorn"
    if not (target / "gunicorn").exists():
        run([sys.executable, "-m", "pip", "install", "-q", "--target", target, GUNICORN])
    return target


def planner_statistics(db: Path, *, analyze: bool) -> None:
    """SQLite plans without statistics until ANALYZE runs; the flag decides for both forums."""
    with sqlite3.connect(db) as conn:
        if analyze:
            conn.execute("ANALYZE")
        elif conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            conn.execute("DELETE FROM sqlite_stat1")
    conn.close()


# --- Agora on PostgreSQL and Misago (--misago-venv) -------------------------------------------

MISAGO = "misago==0.39.*"
MISAGO_SETTINGS = '''"""Misago for the bench: its devproject settings, DEBUG off, no debug toolbar,
Celery eager, connections reused as Agora's."""

from devproject.settings import *  # noqa: F403

DEBUG = False
SECRET_KEY = "bench-forum-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": {name!r},
        "USER": {user!r},
        "PASSWORD": {password!r},
        "HOST": {host!r},
        "PORT": {port!r},
        "CONN_MAX_AGE": 60,  # as Agora's: connections kept between requests
    }}
}}
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "debug_toolbar"]  # noqa: F405
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("debug_toolbar")]  # noqa: F405
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
'''


@dataclass(frozen=True)
class PgDatabase:
    """One database on the PostgreSQL server of --pg-url."""

    url: str
    name: str

    @classmethod
    def of(cls, url: str, suffix: str = "") -> PgDatabase:
        parts = urlsplit(url)
        name = parts.path.lstrip("/") + suffix
        return cls(urlunsplit(parts._replace(path=f"/{name}")), name)

    @property
    def parts(self):
        return urlsplit(self.url)

    def _admin(self):
        import psycopg  # Agora's PostgreSQL driver; imported here, not under Spirit's interpreter

        server = urlunsplit(self.parts._replace(path="/postgres"))
        return psycopg.connect(server, autocommit=True)

    def exists(self) -> bool:
        with self._admin() as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
            return found.fetchone() is not None

    def create(self, *, template: PgDatabase | None = None) -> None:
        """Drops the database if it exists and creates it (empty, or as a copy of `template`)."""
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name))
            if template:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template.name))
            conn.execute(create)

    def analyze(self) -> None:
        """Planner statistics now, for both PostgreSQL forums alike (not whenever autovacuum
        gets to them)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ANALYZE")

    def backend_cpu(self) -> dict[int, int]:
        """CPU clock ticks of each PostgreSQL backend now connected to this database, by pid
        (found by their process titles, `postgres: ... USER DBNAME HOST(PORT) ...`; a local
        server only)."""
        needle = f" {self.name} ".encode()
        ticks = {}
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                title = cmdline.read_bytes().replace(b"\0", b" ")
                if not title.startswith(b"postgres: ") or needle not in title:
                    continue
                fields = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            ticks[int(cmdline.parent.name)] = int(fields[11]) + int(fields[12])
        return ticks


class BackendMeter:
    """CPU seconds the backends of a database use while the meter runs. Connections come and go
    (Agora's and Misago's are closed after 60 s), and an ended backend's time cannot be read
    any more, so a thread samples every `interval` and each backend counts up to its last
    sample."""

    def __init__(self, database: PgDatabase, interval: float = 0.25) -> None:
        self.database, self.interval = database, interval
        self.start_ticks = database.backend_cpu()
        self.last: dict[int, int] = dict(self.start_ticks)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(self.interval):
            self.last.update(self.database.backend_cpu())

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        self.last.update(self.database.backend_cpu())
        used = sum(ticks - self.start_ticks.get(pid, 0) for pid, ticks in self.last.items())
        return used / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class MisagoPaths:
    venv: Path
    project: Path  # holds misagobench_settings.py

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PATH": f"{self.venv / 'bin'}:{os.environ.get('PATH', '')}",
            "DJANGO_SETTINGS_MODULE": "misagobench_settings",
            "PYTHONPATH": str(self.project),
        }


def find_misago(venv: Path | None, workdir: Path) -> MisagoPaths | None:
    """The venv given by --misago-venv, if it holds Misago, gunicorn and psycopg2; else None,
    with a message saying how to make one."""
    make = f"python3.11 -m venv VENV && VENV/bin/pip install '{MISAGO}' {GUNICORN} psycopg2-binary"
    if venv is None:
        print(f"== Misago: skipped (no --misago-venv; make one with: {make})", flush=True)
        return None
    paths = MisagoPaths(venv=venv.resolve(), project=workdir / "misago")
    check = [str(paths.python), "-c", "import misago, gunicorn, psycopg2, devproject"]
    if not paths.python.exists() or subprocess.run(check, capture_output=True).returncode:
        print(f"== Misago: skipped ({venv} holds no Misago; make it with: {make})", flush=True)
        return None
    version = subprocess.run(
        [
            str(paths.python),
            "-c",
            "import django, misago; print(misago.__version__, django.get_version())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    print(f"== Misago {version[0]} (Django {version[1]}) from {paths.venv}", flush=True)
    return paths


def seed_agora_pg(
    workdir: Path, db: PgDatabase, *, topics: int, posts_per_topic: int, out: Path
) -> None:
    """Agora's data set into PostgreSQL, by a child process (Django is set up once a process)."""
    db.create()
    run(
        [
            sys.executable,
            __file__,
            "--seed-agora-pg",
            out,
            "--pg-url",
            db.url,
            "--topics",
            topics,
            "--posts-per-topic",
            posts_per_topic,
            "--workdir",
            workdir,
        ]
    )


def seed_misago(
    paths: MisagoPaths, db: PgDatabase, *, topics: int, posts_per_topic: int, out: Path
) -> None:
    """Misago's tables come from a migrated copy kept as `<name>_migrated` (its migrations take
    minutes here), then bench/_forum_misago.py seeds the data and sets the page sizes."""
    migrated = PgDatabase.of(db.url, "_migrated")
    manage = [paths.venv / "bin" / "django-admin"]
    if migrated.exists():
        db.create(template=migrated)
    else:
        db.create()
        print("  Misago's migrations: minutes, once per workdir", flush=True)
        run([*manage, "migrate", "--noinput", "-v", "0"], env=paths.env, cwd=paths.project)
        migrated.create(template=db)
    run([*manage, "migrate", "--noinput", "-v", "0"], env=paths.env, cwd=paths.project)
    helper = Path(__file__).with_name("_forum_misago.py")
    run(
        [
            paths.python,
            helper,
            "--topics",
            topics,
            "--posts-per-topic",
            posts_per_topic,
            "--out",
            out,
        ],
        env=paths.env,
        cwd=paths.project,
    )


def prepare_misago(args: argparse.Namespace, paths: MisagoPaths) -> tuple[dict, dict]:
    """Seeds Agora on PostgreSQL and Misago unless their marker says they hold this size."""
    workdir: Path = args.workdir
    agora_db, misago_db = PgDatabase.of(args.pg_url), PgDatabase.of(args.pg_url, "_misago")
    parts = misago_db.parts
    paths.project.mkdir(parents=True, exist_ok=True)
    (paths.project / "misagobench_settings.py").write_text(
        MISAGO_SETTINGS.format(
            name=misago_db.name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=parts.port or 5432,
        )
    )
    size = {
        "topics": args.topics,
        "posts_per_topic": args.posts_per_topic,
        "seed": SEED,
        "pg_url": args.pg_url,
        "v": 1,
    }
    marker = workdir / "misago-seeded.json"
    agora_urls, misago_urls = workdir / "agora-pg-urls.json", workdir / "misago-urls.json"
    if args.reseed or not marker.exists() or json.loads(marker.read_text()) != size:
        marker.unlink(missing_ok=True)
        print(f"== seeding Agora on PostgreSQL ({agora_db.name}): {args.topics} topics", flush=True)
        seed_agora_pg(
            workdir,
            agora_db,
            topics=args.topics,
            posts_per_topic=args.posts_per_topic,
            out=agora_urls,
        )
        print(f"== seeding Misago ({misago_db.name}): {args.topics} topics", flush=True)
        seed_misago(
            paths,
            misago_db,
            topics=args.topics,
            posts_per_topic=args.posts_per_topic,
            out=misago_urls,
        )
        agora_db.analyze()
        misago_db.analyze()
        marker.write_text(json.dumps(size))
    else:
        print(f"== reusing Agora-PG and Misago in {agora_db.name}, {misago_db.name}", flush=True)
    return json.loads(agora_urls.read_text()), json.loads(misago_urls.read_text())


# --- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    log: Path
    database: PgDatabase | None = None  # PostgreSQL: its backends' CPU counts too

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    name: str,
    *,
    python: Path,
    app: str,
    cwd: Path,
    env: dict,
    workers: int,
    threads: int,
    logdir: Path,
    port: int = 0,
    database: PgDatabase | None = None,
) -> Server:
    port = port or free_port()
    log = logdir / f"{name}.log"
    cmd = [
        str(python),
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    with log.open("wb") as handle:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Server(name, port, process, log, database)


def cpu_seconds(server: Server) -> float:
    """CPU time (user + system) the server's gunicorn master and workers have used so far: on a
    shared machine this is steadier than requests per second (Linux /proc only, else 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if server.process.pid in (pid, ppid):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def wait_ready(server: Server, path: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited; see {server.log}")
        try:
            conn = HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise RuntimeError(f"{server.name} answered {status} on {path}; see {server.log}")
        except (ConnectionError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{server.name} not ready after {timeout:.0f}s; see {server.log}")


# --- load ------------------------------------------------------------------------------------


@dataclass
class Result:
    requests: int
    errors: Counter
    latencies: list[float]
    seconds: float
    body_bytes: int
    cpu: float = 0.0  # server CPU seconds used meanwhile
    db_cpu: float = 0.0  # ...and its PostgreSQL backends' (0 on SQLite, which runs in-process)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: what a page costs, whatever else the machine is doing."""
        return (self.cpu + self.db_cpu) / max(self.requests, 1) * 1000

    @property
    def db_cpu_ms(self) -> float:
        return self.db_cpu / max(self.requests, 1) * 1000

    @classmethod
    def merge(cls, parts: list[Result]) -> Result:
        return cls(
            requests=sum(part.requests for part in parts),
            errors=sum((part.errors for part in parts), Counter()),
            latencies=[value for part in parts for value in part.latencies],
            seconds=sum(part.seconds for part in parts),
            body_bytes=sum(part.body_bytes for part in parts),
            cpu=sum(part.cpu for part in parts),
            db_cpu=sum(part.db_cpu for part in parts),
        )

    @property
    def kb_per_page(self) -> float:
        return self.body_bytes / max(self.requests, 1) / 1024

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000 if ordered else 0.0


def hammer(
    port: int, pick: Callable[[random.Random], str], *, clients: int, seconds: float
) -> Result:
    """`clients` threads, each on one keep-alive connection, for a fixed time."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    body_bytes = [0] * clients
    errors = [Counter[str]() for _ in range(clients)]
    deadline = time.monotonic() + seconds

    def client(slot: int) -> None:
        rng = random.Random(SEED + slot)
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < deadline:
            path = pick(rng)
            begun = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "en"})
                response = conn.getresponse()
                body_bytes[slot] += len(response.read())
            except (HTTPException, OSError) as exc:
                errors[slot][type(exc).__name__] += 1
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies[slot].append(time.perf_counter() - begun)
            if response.status != 200:
                errors[slot][str(response.status)] += 1
            if response.will_close:
                conn.close()
                conn = HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    merged = [value for values in latencies for value in values]
    return Result(len(merged), sum(errors, Counter()), merged, elapsed, sum(body_bytes))


def pickers(urls: dict) -> dict[str, Callable[[random.Random], str]]:
    topics, categories = urls["topics"], urls["categories"]
    return {
        "topic": lambda rng: topics[rng.randrange(len(topics))],
        "latest": lambda rng: urls["latest"],
        "category": lambda rng: categories[rng.randrange(len(categories))],
    }


# --- main ------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-forum")
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts-per-topic", type=int, default=20, help="mean posts per topic")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per page")
    parser.add_argument(
        "--rounds", type=int, default=4, help="alternating slices per page and forum"
    )
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds per page")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker, both")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="Agora's port (Spirit gets the next one); default: any free ports",
    )
    parser.add_argument(
        "--misago-venv",
        type=Path,
        help="a virtualenv with misago==0.39.*, gunicorn and psycopg2-binary: adds Misago on "
        "PostgreSQL against Agora on PostgreSQL (skipped with a message when absent)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgres://postgres@127.0.0.1:5432/agora_bench_forum",
        help="Agora's PostgreSQL database with --misago-venv (dropped and created when seeding); "
        "Misago's is the same name + _misago",
    )
    parser.add_argument("--seed-agora-pg", type=Path, help=argparse.SUPPRESS)  # the child's job
    parser.add_argument("--reseed", action="store_true", help="drop the data sets and seed again")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="run SQLite's ANALYZE on both databases first (default: no planner statistics)",
    )
    return parser.parse_args()


def prepare(args: argparse.Namespace) -> tuple[dict, dict, SpiritPaths, Path]:
    """Seeds both forums unless the workdir already holds this size of data set."""
    workdir: Path = args.workdir
    size = {"topics": args.topics, "posts_per_topic": args.posts_per_topic, "seed": SEED, "v": 2}
    marker = workdir / "seeded.json"
    agora_urls, spirit_urls = workdir / "agora-urls.json", workdir / "spirit-urls.json"
    print("== installing Spirit and gunicorn", flush=True)
    spirit = install_spirit(workdir)
    gunicorn_path = install_agora_gunicorn(workdir)
    if args.reseed or not marker.exists() or json.loads(marker.read_text()) != size:
        marker.unlink(missing_ok=True)
        for db in [workdir / "agora" / "agora.sqlite3", workdir / "spirit.sqlite3"]:
            for suffix in ["", "-wal", "-shm"]:
                Path(f"{db}{suffix}").unlink(missing_ok=True)
        print(f"== seeding Spirit: {args.topics} topics", flush=True)
        seed_spirit(
            spirit, topics=args.topics, posts_per_topic=args.posts_per_topic, out=spirit_urls
        )
        print(f"== seeding Agora: {args.topics} topics", flush=True)
        urls = seed_agora(workdir, topics=args.topics, posts_per_topic=args.posts_per_topic)
        agora_urls.write_text(json.dumps(urls))
        marker.write_text(json.dumps(size))
    else:
        print(f"== reusing the data sets in {workdir} ({size})", flush=True)
    urls = json.loads(agora_urls.read_text()), json.loads(spirit_urls.read_text())
    return *urls, spirit, gunicorn_path


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


# (label, Agora's server, the peer's server) per pair; the ratios say how many times Agora.
PAIRS = [("", "agora", "spirit"), ("misago_", "agora-pg", "misago")]


def print_pair(rows: list, a_name: str, s_name: str) -> None:
    head = f"{'page':<10}{a_name + ' req/s':>15}{'p95 ms':>9}{s_name + ' req/s':>15}{'p95 ms':>9}"
    print(head + f"{'ratio':>8}{'CPU ms/req A / P':>19}{'CPU ratio':>11}{'of which DB A / P':>20}")
    for page, results in rows:
        a, s = results[a_name], results[s_name]
        ratio = a.rps / s.rps if s.rps else float("inf")
        cpu_ratio = s.cpu_ms / a.cpu_ms if a.cpu_ms else float("inf")
        print(
            f"{page:<10}{a.rps:>15.1f}{a.p95_ms:>9.1f}{s.rps:>15.1f}{s.p95_ms:>9.1f}{ratio:>7.2f}x"
            f"{a.cpu_ms:>10.1f} / {s.cpu_ms:<6.1f}{cpu_ratio:>10.2f}x"
            f"{a.db_cpu_ms:>11.1f} / {s.db_cpu_ms:<6.1f}"
        )


def main() -> int:
    args = parse_args()
    args.workdir = args.workdir.resolve()
    if args.seed_agora_pg:  # the child of seed_agora_pg
        urls = seed_agora(
            args.workdir,
            topics=args.topics,
            posts_per_topic=args.posts_per_topic,
            database_url=args.pg_url,
        )
        args.seed_agora_pg.write_text(json.dumps(urls))
        return 0
    # Ctrl-C and kill both unwind through the `finally` that stops the servers.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    (args.workdir / "logs").mkdir(parents=True, exist_ok=True)
    agora_urls, spirit_urls, spirit, gunicorn_path = prepare(args)
    misago = find_misago(args.misago_venv, args.workdir)
    urls = {"agora": agora_urls, "spirit": spirit_urls}
    if misago:
        urls["agora-pg"], urls["misago"] = prepare_misago(args, misago)
    for db in [args.workdir / "agora" / "agora.sqlite3", args.workdir / "spirit.sqlite3"]:
        planner_statistics(db, analyze=args.analyze)
    settings = {"workers": args.workers, "threads": args.threads, "logdir": args.workdir / "logs"}
    servers: list[Server] = []
    try:
        agora_path = {"PYTHONPATH": f"{gunicorn_path}:{REPO}"}
        starts = [
            (
                "agora",
                Path(sys.executable),
                "agora.wsgi:application",
                REPO,
                agora_env(args.workdir) | agora_path,
                None,
            ),
            (
                "spirit",
                spirit.python,
                "spiritbench.wsgi:application",
                spirit.project,
                spirit.env,
                None,
            ),
        ]
        if misago:
            agora_db = PgDatabase.of(args.pg_url)
            starts += [
                (
                    "agora-pg",
                    Path(sys.executable),
                    "agora.wsgi:application",
                    REPO,
                    agora_env(args.workdir, agora_db.url) | agora_path,
                    agora_db,
                ),
                (
                    "misago",
                    misago.python,
                    "devproject.wsgi:application",
                    misago.project,
                    misago.env,
                    PgDatabase.of(args.pg_url, "_misago"),
                ),
            ]
        for offset, (name, python, app, cwd, env, database) in enumerate(starts):
            servers.append(
                start_server(
                    name,
                    python=python,
                    app=app,
                    cwd=cwd,
                    env=env,
                    port=args.port + offset if args.port else 0,
                    database=database,
                    **settings,
                )
            )
        for server in servers:
            wait_ready(server, urls[server.name]["latest"])
        print(
            f"== load: {args.clients} clients, {args.seconds:.0f}s per page and forum in "
            f"{args.rounds} alternating slices, gunicorn "
            f"{args.workers} workers x {args.threads} threads each, loopback",
            flush=True,
        )
        rows = []
        for page in ["topic", "latest", "category"]:
            measured: dict[str, list[Result]] = {server.name: [] for server in servers}
            for server in servers:
                pick = pickers(urls[server.name])[page]
                hammer(server.port, pick, clients=args.clients, seconds=args.warmup)
            # Alternate short slices so the load of a shared machine drifts onto all alike.
            for _ in range(args.rounds):
                for server in servers:
                    cpu_before = cpu_seconds(server)
                    meter = BackendMeter(server.database) if server.database else None
                    result = hammer(
                        server.port,
                        pickers(urls[server.name])[page],
                        clients=args.clients,
                        seconds=args.seconds / args.rounds,
                    )
                    result.cpu = cpu_seconds(server) - cpu_before
                    if meter:
                        result.db_cpu = meter.stop()
                    measured[server.name].append(result)
            for name in measured:
                result = Result.merge(measured[name])
                print(
                    f"  {page:<9}{name:<9}{result.rps:8.1f} req/s  p95 "
                    f"{result.p95_ms:7.1f} ms  {result.cpu_ms:6.1f} ms CPU/req "
                    f"(DB {result.db_cpu_ms:4.1f})  {result.kb_per_page:5.1f} KB/page  "
                    f"errors {dict(result.errors) or 0}",
                    flush=True,
                )
            rows.append((page, {name: Result.merge(parts) for name, parts in measured.items()}))
    finally:
        for server in servers:
            server.stop()

    summary = []
    for label, a_name, s_name in PAIRS[: 2 if misago else 1]:
        print()
        print_pair(rows, a_name, s_name)
        for unit in ["", "_cpu"]:
            for page, results in rows:
                a, s = results[a_name], results[s_name]
                # throughput: Agora's / the peer's; CPU per request: the peer's / Agora's
                num, den = (s.cpu_ms, a.cpu_ms) if unit else (a.rps, s.rps)
                ratio = f"{num / den:.2f}x" if den else "inf"
                summary.append(f"{label}{page}{unit}={ratio}")
    errors = sum((result.errors for _, results in rows for result in results.values()), Counter())
    if errors:
        print(f"non-200 responses and failures: {dict(errors)}")
    print(
        f"bench: forum {' '.join(summary)} topics={args.topics} "
        f"posts_per_topic={args.posts_per_topic} misago={int(misago is not None)} "
        f"analyze={int(args.analyze)} errors={sum(errors.values())}"
    )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the servers stopped", file=sys.stderr)
        sys.exit(130)
