"""Search at scale: indexing throughput and query latency on SQLite FTS5 and PostgreSQL, against
a plain ``icontains`` scan over the same posts as the naive peer.

Generates a deterministic corpus of mixed Chinese and English posts in a database of its own
(var/bench-search/ for SQLite; a database named agora_bench_search next to the one in
DATABASE_URL / --postgres for PostgreSQL), indexes it with the same service the site uses, then
runs a fixed query set as an anonymous visitor and prints p50/p95 for both and their ratio.

    .venv/bin/python bench/search.py --posts 100000
    .venv/bin/python bench/search.py --posts 20000 --backends sqlite

The last line starts with "bench: search".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 20260101
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/agora"
POSTS_PER_TOPIC = 10
QUERIES = [
    "diffusion", "扩散", "stable diffusion", "扩散模型 采样", '"latent diffusion"', "lora",
    "训练 lora", "prompt engineering", "图像", "guidance scale", "controlnet 姿态", "vae decoder",
    "diffus", "噪声 调度", "sdxl 1024", "用 Stable Diffusion 生成的图像", "checkpoint 合并",
    "负面提示词", "upscaler tiles", "文本生成 评测",
]  # fmt: skip
REPEATS = 5

EN = str.split(
    "diffusion model latent sampler guidance scale prompt engineering lora training checkpoint "
    "merge vae decoder encoder controlnet pose depth canny upscaler tiles seed steps noise "
    "schedule cosine linear ddim ddpm euler ancestral sdxl resolution dataset caption fine tune "
    "learning rate batch gradient overfit style portrait landscape anime photo realistic render "
    "workflow node comfy webui extension gallery recipe reproduce benchmark evaluation text "
    "generation llm token context window quantization inference gpu memory vram"
)
ZH = str.split(
    "扩散 模型 采样 引导 提示词 负面提示词 训练 微调 检查点 合并 解码器 编码器 姿态 深度 放大 "
    "种子 步数 噪声 调度 分辨率 数据集 标注 学习率 过拟合 风格 肖像 风景 动漫 写实 渲染 工作流 "
    "节点 插件 画廊 配方 复现 评测 文本生成 大语言模型 上下文 量化 推理 显存 图像 生成 效果 "
    "我们 发现 这个 方法 非常 有用 但是 需要 注意 参数"
)


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.4:
        words = rng.choices(ZH, k=rng.randint(6, 14))
        return "".join(words) + "。"
    if rng.random() < 0.5:
        words = rng.choices(EN, k=rng.randint(6, 16))
        return " ".join(words).capitalize() + "."
    # mixed script in one sentence, as members write
    parts = [rng.choice(ZH) if rng.random() < 0.5 else f" {rng.choice(EN)} " for _ in range(10)]
    return "用" + "".join(parts).strip() + "。"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- inside one backend (a child process with DATABASE_URL set) ------------------------------


def build_corpus(posts: int) -> None:
    from django.utils.html import escape

    from agora.accounts.models import User
    from agora.forum.models import Access, Category, Post, Topic

    rng = random.Random(SEED)
    users = User.objects.bulk_create(
        [User(username=f"bench{i}", email=f"bench{i}@example.com") for i in range(200)]
    )
    categories = [
        Category.objects.create(slug=f"bench-{i}", name=f"Bench {i}", position=i) for i in range(5)
    ]
    Category.objects.filter(pk=categories[-1].pk).update(everyone_access=Access.NONE)
    topic_count = max(1, posts // POSTS_PER_TOPIC)
    made = 0
    for start in range(0, topic_count, 1000):
        batch = []
        for t in range(start, min(topic_count, start + 1000)):
            moment = BASE_TIME + timedelta(minutes=t)
            author = rng.choice(users)
            title = sentence(rng)[:120]
            batch.append(
                Topic(
                    title=title, category=rng.choice(categories), author=author, bumped_at=moment,
                    last_posted_at=moment, last_poster=author, highest_post_number=POSTS_PER_TOPIC,
                    post_count=POSTS_PER_TOPIC, created_at=moment,
                )
            )  # fmt: skip
        topics = Topic.objects.bulk_create(batch)
        rows = []
        for topic in topics:
            for number in range(1, POSTS_PER_TOPIC + 1):
                if made >= posts:
                    break
                text = " ".join(sentence(rng) for _ in range(rng.randint(2, 8)))
                rows.append(
                    Post(
                        topic=topic, number=number, author=rng.choice(users), raw=text,
                        html=f"<p>{escape(text)}</p>",
                    )
                )  # fmt: skip
                made += 1
        Post.objects.bulk_create(rows, batch_size=2000)


def measure(fn, texts: list[str]) -> list[float]:
    for text in texts:  # warm caches once
        fn(text)
    timings = []
    for _ in range(REPEATS):
        for text in texts:
            started = time.perf_counter()
            fn(text)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def child(posts: int) -> dict[str, object]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from agora.forum.models import Post
    from agora.forum.permissions import category_access_for
    from agora.search import segment, selectors, services

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    build_corpus(posts)
    corpus_s = time.perf_counter() - started
    segment.tokens("预热")  # jieba's dictionary loads once per process; not indexing time
    started = time.perf_counter()
    counts = services.rebuild(kinds=["post"])
    index_s = time.perf_counter() - started
    viewer = AnonymousUser()
    access = category_access_for(viewer)

    def search(text: str) -> int:
        return len(selectors.search_posts(text=text, viewer=viewer, access=access).results)

    def naive(text: str) -> int:
        condition = Q()
        for word in text.replace('"', " ").split():
            condition &= Q(raw__icontains=word)
        found = (
            Post.objects.filter(
                condition,
                topic__category_id__in=access.visible_ids(),
                topic__deleted_at=None,
                deleted_at=None,
                hidden=False,
            )
            .select_related("topic", "author")
            .order_by("-created_at")[:20]
        )
        return len(list(found))

    search_ms = measure(search, QUERIES)
    naive_ms = measure(naive, QUERIES)
    hits = {q: search(q) for q in QUERIES}
    return {
        "vendor": connection.vendor,
        "posts": Post.objects.count(),
        "indexed": counts["post"],
        "corpus_s": round(corpus_s, 1),
        "index_s": round(index_s, 1),
        "index_per_s": round(counts["post"] / index_s),
        "search_p50": round(statistics.median(search_ms), 2),
        "search_p95": round(percentile(search_ms, 0.95), 2),
        "naive_p50": round(statistics.median(naive_ms), 2),
        "naive_p95": round(percentile(naive_ms, 0.95), 2),
        "queries_with_results": sum(1 for n in hits.values() if n),
    }


# --- the driver ---------------------------------------------------------------------------------


def postgres_url(base: str) -> str:
    return base.rsplit("/", 1)[0] + "/agora_bench_search"


def prepare_postgres(url: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS agora_bench_search")
        conn.execute("CREATE DATABASE agora_bench_search")


def run_backend(backend: str, posts: int, workdir: Path, pg_base: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("REDIS_URL", None)
    if backend == "sqlite":
        database = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    else:
        env["DATABASE_URL"] = postgres_url(pg_base)
        prepare_postgres(env["DATABASE_URL"])
    output = subprocess.run(
        [sys.executable, __file__, "--child", "--posts", str(posts)],
        env=env, cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-search")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.posts)))
        return
    if not args.postgres.startswith("postgres"):
        args.postgres = DEFAULT_POSTGRES
    args.workdir.mkdir(parents=True, exist_ok=True)
    summary = []
    for backend in args.backends.split(","):
        result = run_backend(backend.strip(), args.posts, args.workdir, args.postgres)
        print(json.dumps(result))
        ratio = result["naive_p50"] / max(result["search_p50"], 0.001)
        summary.append(
            f"{result['vendor']} {result['posts']} posts: index {result['index_per_s']}/s,"
            f" search p50 {result['search_p50']} ms p95 {result['search_p95']} ms,"
            f" icontains p50 {result['naive_p50']} ms p95 {result['naive_p95']} ms,"
            f" {ratio:.1f}x faster"
        )
    print("bench: search | " + " | ".join(summary))


if __name__ == "__main__":
    main()
