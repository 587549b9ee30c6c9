"""Search at scale: indexing throughput and query latency on SQLite FTS5 and PostgreSQL, against
a plain ``icontains`` scan over the same posts as the naive peer.

Generates a deterministic corpus of mixed Chinese and English posts (Zipf-distributed
vocabularies, topics with themes, see ``Corpus``) in a database of its own (var/bench-search/ for
SQLite; the database --pg-database next to the one in DATABASE_URL / --postgres for PostgreSQL),
indexes it with the same service the site uses, then runs a fixed query set (rare to common
words, phrases, prefixes, newest first, a later page, a category) as an anonymous visitor and
prints p50/p95 for the search page, the header box and the peer, and the ratios.

    .venv/bin/python bench/search.py --posts 100000
    .venv/bin/python bench/search.py --posts 20000 --backends sqlite
    .venv/bin/python bench/search.py --posts 100000 --reuse   # same corpus: queries only

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
QUERIES = [  # (text, sort newest, page, category filter): what each one tests
    ("模型", False, 1, None),  # common Chinese word (~20% of posts)
    ("图像", False, 1, None),
    ("model", False, 1, None),  # common English words (~3-4%)
    ("diffusion", False, 1, None),
    ("controlnet", False, 1, None),  # medium (~2%)
    ("量化", False, 1, None),
    ("知识库", False, 1, None),
    ("esrgan", False, 1, None),  # rare (<1%)
    ("细菌", False, 1, None),
    ("caltaqu", False, 1, None),  # very rare made-up word
    ("lora training", False, 1, None),  # two words, ANDed
    ("显存 量化", False, 1, None),
    ("sdxl controlnet", False, 1, None),
    ('"stable diffusion"', False, 1, None),  # phrases
    ('"deepseek v3"', False, 1, None),
    ('"负面提示词"', False, 1, None),
    ("用 Stable Diffusion 生成图像", False, 1, None),  # a mixed-script sentence
    ("flux 提示词", False, 1, None),
    ("quantiz", False, 1, None),  # English prefixes
    ("distill", False, 1, None),
    ("zzzyxw", False, 1, None),  # no match
    ("模型", True, 1, None),  # sort by newest
    ("lora", True, 1, None),
    ("diffusion", False, 3, None),  # third page
    ("模型", False, 1, "bench-1"),  # a category filter
]
REPEATS = 5
PRIVATE_SHARE = 5  # one category in five is closed to visitors
HIDDEN_SHARE = 0.02  # posts hidden by moderation after indexing: visibility is read live

# --- the corpus -----------------------------------------------------------------------------------
# Words are drawn from Zipf-distributed vocabularies (weight 1/(rank+2.7)), as in real text: a few
# words are in most posts, most words in a handful. English: function words, then AIGC terms, then
# a tail of made-up words; Chinese: AIGC terms merged with the most frequent words of jieba's own
# dictionary (so jieba cuts them as words); model names and numbers as members write them.

EN_FUNCTION = str.split(
    "the a to and of is in it for with on this that you i be are was have not but can my "
    "what so if at or do from as your use when how just get they all more one there by an "
    "than then also about which only some would like any them no"
)
EN_DOMAIN = str.split(
    "model image prompt diffusion training lora steps seed sampler checkpoint workflow output "
    "quality style dataset gpu memory vram batch resolution upscale latent noise guidance scale "
    "negative token context inference quantization fine tune merge vae decoder encoder controlnet "
    "pose depth canny tiles schedule cosine linear ddim ddpm euler ancestral karras caption "
    "learning rate gradient overfit portrait landscape anime photo realistic render node comfyui "
    "webui extension gallery recipe reproduce benchmark evaluation text generation llm embedding "
    "attention transformer unet clip tokenizer weights precision fp16 bf16 int8 gguf safetensors "
    "cuda driver kernel cache server api endpoint latency throughput cpu ram disk download upload "
    "license commercial dataset captioning tagging booru aesthetic score ranking preference dpo "
    "rlhf reward policy agent tool function calling retrieval rag vector index chunk prompting "
    "chain thought reasoning math code python script notebook colab docker container cluster "
    "distributed parallel sharding offload swap compile optimize profiler bottleneck regression "
    "artifact blur sharp detail texture lighting shadow composition color palette contrast "
    "hands face eyes hair background foreground character consistency identity reference "
    "adapter ipadapter inpainting outpainting mask segmentation detection keypoint sketch "
    "lineart scribble video frame motion animation interpolation temporal flicker audio voice "
    "speech music transcription translation subtitle chinese english bilingual multilingual "
    "benchmarking leaderboard arena elo judge rubric metric fid clipscore accuracy perplexity "
    "loss epoch warmup scheduler optimizer adam momentum decay dropout regularization "
    "augmentation crop flip bucket aspect ratio upscaler esrgan refiner base turbo lightning "
    "distillation student teacher pruning sparse mixture experts moe router gating"
)
MODELS = [
    "Stable Diffusion 1.5",
    "SDXL 1.0",
    "SDXL Turbo",
    "SD3 Medium",
    "FLUX.1 dev",
    "FLUX.1 schnell",
    "Midjourney v6",
    "DALL-E 3",
    "Kolors",
    "Hunyuan-DiT",
    "PixArt-Sigma",
    "Llama 3 8B",
    "Llama 3.1 70B",
    "Qwen2.5 7B",
    "Qwen2-VL",
    "GPT-4o",
    "DeepSeek-V3",
    "DeepSeek-R1",
    "ChatGLM3 6B",
    "Yi 34B",
    "Baichuan2 13B",
    "Mistral 7B",
    "Mixtral 8x7B",
    "Whisper large-v3",
    "AnimateDiff",
    "Wan 2.1",
    "LTX-Video",
    "CogVideoX",
    "Sora",
    "Kling",
]
NUMBERS = ["512", "768", "1024", "2048", "4096", "7b", "13b", "70b", "0.7", "1.5", "30", "50"]
ZH_DOMAIN = str.split(
    "模型 图像 生成 提示词 训练 扩散 效果 参数 显存 采样 步数 种子 工作流 节点 插件 风格 分辨率 "
    "数据集 微调 推理 量化 部署 显卡 负面提示词 高清 放大 修复 重绘 局部 蒙版 线稿 上色 姿态 "
    "深度 边缘 控制 权重 融合 合并 检查点 解码器 编码器 噪声 调度 采样器 步骤 批量 学习率 "
    "过拟合 欠拟合 正则化 标注 打标 美学 评分 排行榜 评测 基准 准确率 困惑度 损失 收敛 梯度 "
    "注意力 上下文 长度 向量 检索 知识库 智能体 工具 调用 函数 代码 脚本 开源 闭源 商用 许可 "
    "版权 作品 画廊 作者 肖像 风景 动漫 二次元 写实 插画 海报 头像 壁纸 光影 构图 色彩 细节 "
    "手部 面部 眼睛 头发 背景 人物 一致性 参考图 视频 动画 帧率 运动 口型 配音 语音 音乐 字幕 "
    "翻译 中文 英文 双语 多语言 大语言模型 文本生成 文生图 图生图 文生视频 对齐 偏好 奖励 蒸馏 "
    "剪枝 稀疏 专家 路由 服务器 接口 延迟 吞吐 并发 缓存 内存 硬盘 下载 上传 报错 教程 分享"
)


def _made_up_words(rng: random.Random, count: int) -> list[str]:
    syllables = str.split(
        "ka lo vi ren tor mi sa del qu ix an or el zen ta ber gon lu ser nix ra po fen dor "
        "cal mur tis vok ane ul dra sim pel hex"
    )
    words: dict[str, None] = {}
    while len(words) < count:
        words["".join(rng.choices(syllables, k=rng.randint(2, 4)))] = None
    return list(words)


def _jieba_words(exclude: set[str], count: int) -> list[str]:
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    entries = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, freq, *_ = line.split()
            if 2 <= len(word) <= 4 and word not in exclude and not word.isascii():
                entries.append((-int(freq), word))
    entries.sort()
    return [word for _freq, word in entries[:count]]


class Corpus:
    EN_SIZE = 4000
    ZH_SIZE = 5000

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        en = list(dict.fromkeys(EN_FUNCTION + EN_DOMAIN))
        en += _made_up_words(random.Random(seed + 1), self.EN_SIZE - len(en))
        general = _jieba_words(set(ZH_DOMAIN), self.ZH_SIZE - len(ZH_DOMAIN))
        zh = ["的", "了", "是", "在", "和", "也"]  # function characters lead
        for rank, word in enumerate(general):  # AIGC terms take every other rank at the head
            if rank < len(ZH_DOMAIN):
                zh.append(ZH_DOMAIN[rank])
            zh.append(word)
        self.en = en
        self.zh = zh
        self.en_weights = self._cumulative(len(self.en))
        self.zh_weights = self._cumulative(len(self.zh))

    @staticmethod
    def _cumulative(size: int) -> list[float]:
        total, weights = 0.0, []
        for rank in range(size):
            total += 1.0 / (rank + 2.7)
            weights.append(total)
        return weights

    def en_words(self, k: int) -> list[str]:
        return self.rng.choices(self.en, cum_weights=self.en_weights, k=k)

    def zh_words(self, k: int) -> list[str]:
        return self.rng.choices(self.zh, cum_weights=self.zh_weights, k=k)

    def theme(self) -> tuple[list[str], list[str], str]:
        """What a topic is about: a few mid- and low-frequency words and a model."""
        rng = self.rng
        en = [self.en[rng.randint(60, 1500)] for _ in range(2)]
        zh = [self.zh[rng.randint(40, 2500)] for _ in range(2)]
        return en, zh, rng.choice(MODELS)

    def sentence(self, theme, language: str) -> str:
        rng = self.rng
        en_theme, zh_theme, model = theme
        if language == "zh":
            words = self.zh_words(rng.randint(5, 14))
            if rng.random() < 0.5:
                words.insert(rng.randrange(len(words)), rng.choice(zh_theme))
            if rng.random() < 0.15:
                words.insert(rng.randrange(len(words)), f" {model} ")
            return "".join(words).strip() + rng.choice("。。。！？")
        if language == "en":
            words = self.en_words(rng.randint(6, 18))
            if rng.random() < 0.5:
                words.insert(rng.randrange(len(words)), rng.choice(en_theme))
            if rng.random() < 0.2:
                words.insert(rng.randrange(len(words)), model)
            if rng.random() < 0.15:
                words.insert(rng.randrange(len(words)), rng.choice(NUMBERS))
            return " ".join(words).capitalize() + rng.choice("...?!")
        # mixed script in one sentence, as members write: "用 SDXL 1.0 生成的图像"
        parts = self.zh_words(rng.randint(4, 10))
        for _ in range(rng.randint(1, 3)):
            english = rng.choice([model, rng.choice(en_theme), *self.en_words(1)])
            parts.insert(rng.randrange(len(parts) + 1), f" {english} ")
        if rng.random() < 0.5:
            parts.insert(rng.randrange(len(parts)), rng.choice(zh_theme))
        return "".join(parts).strip() + "。"

    def post(self, theme, language: str) -> str:
        return " ".join(self.sentence(theme, language) for _ in range(self.rng.randint(1, 6)))

    def title(self, theme, language: str) -> str:
        rng = self.rng
        en_theme, zh_theme, model = theme
        if language == "en":
            words = [*self.en_words(rng.randint(2, 6)), rng.choice(en_theme)]
            rng.shuffle(words)
            return " ".join([model, *words]).capitalize()[:120]
        words = [*self.zh_words(rng.randint(2, 5)), rng.choice(zh_theme)]
        rng.shuffle(words)
        return (model + " " if rng.random() < 0.5 else "") + "".join(words)[:100]

    def language(self) -> str:
        roll = self.rng.random()
        return "zh" if roll < 0.45 else "en" if roll < 0.8 else "mixed"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- inside one backend (a child process with DATABASE_URL set) ------------------------------


def build_corpus(posts: int) -> None:
    """Bulk-insert users, categories, topics (1 to ~30 posts each, about 9 on average) and posts,
    one minute apart; the topics' counters are set as the forum would."""
    from django.utils.html import escape

    from agora.accounts.models import User
    from agora.forum.models import Access, Category, Post, Topic

    corpus = Corpus()
    rng = corpus.rng
    profiles = [(corpus.language(), corpus.theme()) for _ in range(500)]
    users = User.objects.bulk_create(
        [
            User(
                username=f"bench{i}",
                email=f"bench{i}@example.com",
                display_name=f"Bench {i}",
                bio=corpus.sentence(theme, language),
            )
            for i, (language, theme) in enumerate(profiles)
        ]
    )
    languages = {user.pk: lang for user, (lang, _theme) in zip(users, profiles, strict=True)}
    categories = [
        Category.objects.create(slug=f"bench-{i}", name=f"Bench {i}", position=i)
        for i in range(PRIVATE_SHARE)
    ]
    Category.objects.filter(pk=categories[-1].pk).update(everyone_access=Access.NONE)
    created_at = Post._meta.get_field("created_at")
    created_at.auto_now_add = False  # posts a minute apart, not all in the second of the insert
    try:
        made, minute = 0, 0
        while made < posts:
            plans = []
            while made < posts and len(plans) < 500:
                size = min(posts - made, 1 + int(rng.expovariate(1 / 8)))
                plans.append((corpus.theme(), size))
                made += size
            topics = []
            for theme, size in plans:
                author = rng.choice(users)
                moment = BASE_TIME + timedelta(minutes=minute)
                last = moment + timedelta(minutes=size - 1)
                topics.append(
                    Topic(
                        title=corpus.title(theme, languages[author.pk]),
                        category=rng.choice(categories),
                        author=author,
                        bumped_at=last,
                        last_posted_at=last,
                        last_poster=author,
                        highest_post_number=size,
                        post_count=size,
                        created_at=moment,
                    )
                )
                minute += size
            topics = Topic.objects.bulk_create(topics)
            rows = []
            for topic, (theme, size) in zip(topics, plans, strict=True):
                for number in range(1, size + 1):
                    author = topic.author if number == 1 else rng.choice(users)
                    text = corpus.post(theme, languages[author.pk])
                    rows.append(
                        Post(
                            topic=topic,
                            number=number,
                            author=author,
                            raw=text,
                            html=f"<p>{escape(text)}</p>",
                            created_at=topic.created_at + timedelta(minutes=number - 1),
                        )
                    )
            Post.objects.bulk_create(rows, batch_size=1000)
    finally:
        created_at.auto_now_add = True


def hide_some_posts() -> int:
    """Moderation hides a few posts after they were indexed (flags send no search signal): the
    search must drop them at query time."""
    from agora.forum.models import Post

    ids = list(Post.objects.values_list("id", flat=True))
    hidden = random.Random(SEED).sample(ids, int(len(ids) * HIDDEN_SHARE))
    for start in range(0, len(hidden), 500):
        Post.objects.filter(id__in=hidden[start : start + 500]).update(hidden=True)
    return len(hidden)


def measure(fn) -> tuple[list[float], dict[str, float]]:
    """All timings in ms (REPEATS rounds after a warm-up round) and the median per query."""
    for query in QUERIES:
        fn(*query)
    timings: dict[tuple, list[float]] = {query: [] for query in QUERIES}
    for _ in range(REPEATS):
        for query in QUERIES:
            started = time.perf_counter()
            fn(*query)
            timings[query].append((time.perf_counter() - started) * 1000)
    per_query = {label(q): round(statistics.median(ms), 1) for q, ms in timings.items()}
    return [ms for values in timings.values() for ms in values], per_query


def label(query: tuple) -> str:
    text, newest, page, category = query
    extras = ["newest"] * newest + [f"page {page}"] * (page > 1)
    extras += [f"in {category}"] * bool(category)
    return " ".join([text, *extras])


BUILD_KEYS = ["posts", "indexed", "hidden_after_indexing", "corpus_s", "index_s", "index_per_s"]


RELEVANCE = REPO / "agora" / "search" / "tests" / "relevance.json"


def plant_labelled_posts() -> dict[int, str]:
    """The labelled posts of RELEVANCE as topics of the first (public) category, indexed like
    any post; kept across --reuse. Returns topic id -> label."""
    from agora.accounts.models import User
    from agora.core.markdown import render
    from agora.forum.models import Category, Post, Topic
    from agora.search import services

    labels = json.loads(RELEVANCE.read_text())["posts"]
    category = Category.objects.order_by("position", "id").first()
    author = User.objects.order_by("id").first()
    planted = {}
    for key, (title, body) in labels.items():
        topic = Topic.objects.filter(title=title).first()
        if topic is None:
            moment = BASE_TIME + timedelta(days=1)
            topic = Topic.objects.create(
                title=title,
                category=category,
                author=author,
                bumped_at=moment,
                last_posted_at=moment,
                last_poster=author,
            )
            post = Post.objects.create(
                topic=topic, number=1, author=author, raw=body, html=render(body)
            )
            services.index_objects(kind="post", object_ids=[post.id])
        planted[topic.id] = key
    return planted


def recall_at_10(planted: dict[int, str], viewer, access) -> tuple[float, dict[str, list[str]]]:
    """Mean recall@10 of RELEVANCE's queries through the search page's selector, and what each
    query's first ten held of the labelled posts."""
    from agora.search import selectors

    recalls, found = [], {}
    for item in json.loads(RELEVANCE.read_text())["queries"]:
        page = selectors.search_posts(text=item["q"], viewer=viewer, access=access, page_size=10)
        keys = [planted.get(r.post.topic_id, "-") for r in page.results]
        found[item["q"]] = keys
        recalls.append(len(set(keys) & set(item["relevant"])) / len(item["relevant"]))
    return sum(recalls) / len(recalls), found


def child(posts: int, built: dict | None) -> dict[str, object]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")
    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q

    from agora.forum.models import Category, Post
    from agora.forum.permissions import category_access_for
    from agora.search import query as search_query
    from agora.search import segment, selectors, services

    segment.tokens("预热")  # jieba's dictionary loads once per process; not indexing time
    if built is None:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        build_corpus(posts)
        corpus_s = time.perf_counter() - started
        started = time.perf_counter()
        indexed = services.rebuild(kinds=["post"])["post"]
        index_s = time.perf_counter() - started
        services.rebuild(kinds=["member", "tag"])  # for the header box; not timed
        built = {
            "indexed": indexed,
            "hidden_after_indexing": hide_some_posts(),
            "corpus_s": round(corpus_s, 1),
            "index_s": round(index_s, 1),
            "index_per_s": round(indexed / index_s),
        }
    with connection.cursor() as cursor:
        # Planner statistics, as the site keeps them: autovacuum on PostgreSQL, the periodic
        # sqlite-optimize task (ANALYZE) on SQLite.
        cursor.execute("ANALYZE")
    planted = plant_labelled_posts()
    viewer = AnonymousUser()
    access = category_access_for(viewer)
    categories = {c.slug: c for c in Category.objects.all()}

    def search(text: str, newest: bool, page: int, category: str | None) -> int:
        filters = selectors.PostFilters(newest=newest, category=categories.get(category))
        return len(
            selectors.search_posts(
                text=text, viewer=viewer, access=access, filters=filters, page=page
            ).results
        )

    def naive(text: str, newest: bool, page: int, category: str | None) -> int:
        condition = Q()
        for word in text.replace('"', " ").split():
            condition &= Q(raw__icontains=word)
        if category:
            condition &= Q(topic__category=categories[category])
        found = (
            Post.objects.filter(
                condition,
                topic__category_id__in=access.visible_ids(),
                topic__deleted_at=None,
                deleted_at=None,
                hidden=False,
            )
            .select_related("topic", "author")
            .order_by("-created_at")[(page - 1) * 20 : page * 20]
        )
        return len(list(found))

    def matches(text: str) -> int:
        """Documents matching the words, before visibility: how common the query is."""
        parsed = search_query.parse(text)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH %s",
                    [search_query.fts5_expression(parsed)],
                )
            else:
                cursor.execute(
                    "SELECT count(*) FROM search_searchdocument"
                    " WHERE search_vector @@ to_tsquery('simple', %s)",
                    [search_query.tsquery_expression(parsed)],
                )
            return cursor.fetchone()[0]

    def quick(text: str, newest: bool, page: int, category: str | None) -> int:
        """The header box as members type: a few posts, members and tags."""
        return sum(
            map(len, selectors.quick_search(text=text, viewer=viewer, access=access).values())
        )

    search_ms, search_per_query = measure(search)
    quick_ms, _quick_per_query = measure(quick)
    naive_ms, naive_per_query = measure(naive)
    recall, relevance = recall_at_10(planted, viewer, access)
    return {
        "vendor": connection.vendor,
        **built,
        "posts": Post.objects.count(),
        "search_p50": round(statistics.median(search_ms), 2),
        "search_p95": round(percentile(search_ms, 0.95), 2),
        "quick_p50": round(statistics.median(quick_ms), 2),
        "quick_p95": round(percentile(quick_ms, 0.95), 2),
        "naive_p50": round(statistics.median(naive_ms), 2),
        "naive_p95": round(percentile(naive_ms, 0.95), 2),
        "queries_with_results": sum(1 for q in QUERIES if search(*q)),
        "recall_at_10": round(recall, 3),
        "relevance": relevance,
        "queries": {
            label(q): {
                "matches": matches(q[0]),
                "search_ms": search_per_query[label(q)],
                "icontains_ms": naive_per_query[label(q)],
            }
            for q in QUERIES
        },
    }


# --- the driver ---------------------------------------------------------------------------------


def postgres_url(base: str, name: str) -> str:
    return base.rsplit("/", 1)[0] + "/" + name


def prepare_postgres(url: str) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def run_backend(backend: str, posts: int, args: argparse.Namespace) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("REDIS_URL", None)
    built = args.workdir / f"built-{backend}.json"
    reuse = args.reuse and built.exists() and json.loads(built.read_text())["posts"] == posts
    if backend == "sqlite":
        database = args.workdir / "bench.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{database}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    else:
        env["DATABASE_URL"] = postgres_url(args.postgres, args.pg_database)
        if not reuse:
            prepare_postgres(env["DATABASE_URL"])
    command = [sys.executable, __file__, "--child", "--posts", str(posts)]
    if reuse:
        command += ["--built", str(built)]
    output = subprocess.run(
        command, env=env, cwd=REPO, check=True, capture_output=True, text=True
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if not reuse:
        built.write_text(json.dumps({k: result[k] for k in BUILD_KEYS}))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", DEFAULT_POSTGRES))
    parser.add_argument("--pg-database", default="agora_bench_search")
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench-search")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the corpus and index of the last run of this size (query timings only)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--built", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        built = json.loads(args.built.read_text()) if args.built else None
        print(json.dumps(child(args.posts, built), ensure_ascii=False))
        return
    if not args.postgres.startswith("postgres"):
        args.postgres = DEFAULT_POSTGRES
    args.workdir.mkdir(parents=True, exist_ok=True)
    summary = []
    for backend in args.backends.split(","):
        result = run_backend(backend.strip(), args.posts, args)
        print(json.dumps(result, ensure_ascii=False))
        p50 = result["naive_p50"] / max(result["search_p50"], 0.001)
        p95 = result["naive_p95"] / max(result["search_p95"], 0.001)
        summary.append(
            f"{result['vendor']} {result['posts']} posts: index {result['index_per_s']}/s,"
            f" search p50 {result['search_p50']} ms p95 {result['search_p95']} ms,"
            f" icontains p50 {result['naive_p50']} ms p95 {result['naive_p95']} ms,"
            f" {p50:.1f}x (p50) {p95:.1f}x (p95) faster;"
            f" header box p50 {result['quick_p50']} ms p95 {result['quick_p95']} ms;"
            f" recall@10 {result['recall_at_10']:.2f} ({len(result['relevance'])} labelled queries)"
        )
    print("bench: search | " + " | ".join(summary))


if __name__ == "__main__":
    main()
