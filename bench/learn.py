"""Lesson widgets through the whole site path (URL, view, permission, cache row, PNG), measured
in one run against a peer: a plain article page of the same site.

1. a lesson page and a plain article page (its peer), visitors, p95;
2. cached answers: a figure PNG and its htmx panel that someone computed before, p95;
3. computed answers: new forward-process states (a member, every request a new t) and new points
   of the VAE's latent map (decoded by the zoo's lesson VAE, digits8-vae2d), p95;
4. a live GAN training: time to its first frame and to its end, run as the worker runs it;
5. lesson 5 (GPT, the zoo's poetry model): the next-character panel cached for a visitor, and
   computed for a member (every request a new temperature and top-p), the attention figure
   computed (a new layer, head or prompt each time), p95.

Runs in a throw-away SQLite database and var/ folder.

    OMP_NUM_THREADS=1 .venv/bin/python bench/learn.py
    OMP_NUM_THREADS=1 .venv/bin/python bench/learn.py --repeat 40
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def timed(fn, repeat: int) -> list[float]:
    out = []
    for i in range(repeat):
        started = time.perf_counter()
        response = fn(i)
        out.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.content[:200]!r}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--gan-steps", type=int, default=300)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="bench-learn-"))
    os.environ.update(
        {
            "AGORA_ENV": "development",
            "AGORA_DEBUG": "0",
            "AGORA_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'agora.sqlite3'}",
            "SECRET_KEY": "bench-learn-not-a-secret",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "AGORA_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "agora.settings",
            "AGORA_LEARN_WIDGET_QUOTA_PER_HOUR": "100000",
        }
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from agora.accounts.models import User
    from agora.forum.models import Category
    from agora.learn import services, widgets
    from agora.learn.lessons import seed_lessons
    from agora.learn.models import Article
    from agora.learn.widgets.live import gan_game

    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    Category.objects.create(slug="tutorials", name="Tutorials")
    staff = User.objects.create_user("teacher", "t@example.com", "x", is_staff=True)
    member = User.objects.create_user("learner", "l@example.com", "x")
    seed_lessons(author=staff)
    plain = services.create_article(
        author=staff,
        title="A plain article",
        body=Article.objects.get(language="en", series_part=1).body.split("```widget")[0] * 3,
        difficulty="beginner",
        language="en",
        area="diffusion",
    )
    lesson = Article.objects.get(language="en", series_part=1)
    visitor, learner = Client(), Client()
    learner.force_login(member)
    n = args.repeat

    print(f"load: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; repeat {n}", flush=True)
    visitor.get(plain.get_absolute_url())
    visitor.get(lesson.get_absolute_url())
    page_plain = timed(lambda i: visitor.get(plain.get_absolute_url()), n)
    page_lesson = timed(lambda i: visitor.get(lesson.get_absolute_url()), n)

    fig = "/learn/widgets/forward-process/figure.png?t=100"
    panel = "/learn/widgets/forward-process/panel/?t=100"
    started = time.perf_counter()
    learner.get(fig)  # the first computation loads MNIST and torch: reported apart
    first = (time.perf_counter() - started) * 1000
    cached_png = timed(lambda i: visitor.get(fig), n)
    cached_panel = timed(lambda i: visitor.get(panel), n)
    computed_forward = timed(lambda i: learner.get(f"{fig[:-3]}{200 + i}"), n)

    started = time.perf_counter()
    learner.get("/learn/widgets/vae-map/figure.png?z1=0.0")  # loads the zoo checkpoint once
    map_first = (time.perf_counter() - started) * 1000
    computed_map = timed(
        lambda i: learner.get(f"/learn/widgets/vae-map/figure.png?z1={-2.9 + 0.1 * (i % 58):.1f}"),
        n,
    )

    gpt_panel = "/learn/widgets/gpt-next/panel/?prompt=床前明月光&temperature=1.0&top_p=0.9"
    started = time.perf_counter()
    learner.get(gpt_panel)  # loads the zoo's checkpoint once (the lab's checkpoint cache)
    gpt_first = (time.perf_counter() - started) * 1000
    cached_gpt = timed(lambda i: visitor.get(gpt_panel), n)
    computed_gpt = timed(
        lambda i: learner.get(
            "/learn/widgets/gpt-next/panel/?prompt=床前明月光"
            f"&temperature={0.1 + 0.1 * (i % 20):.1f}&top_p={0.05 + 0.05 * (i // 20 % 19):.2f}"
        ),
        n,
    )
    prompts = ["床前明月光，疑是地上霜。", "春眠不覺曉", "白日依山盡，黃河入海流。"]
    computed_heads = timed(
        lambda i: learner.get(
            f"/learn/widgets/gpt-attention/figure.png?prompt={prompts[i // 16 % 3]}"
            f"&layer={1 + i % 4}&head={1 + i // 4 % 4}"
        ),
        n,
    )

    frames: list[float] = []
    started = time.perf_counter()
    gan_game(
        widgets.get("gan-game").defaults() | {"steps": args.gan_steps},
        lambda step, total, d: frames.append(time.perf_counter() - started),
    )
    gan_total = time.perf_counter() - started

    print(f"plain article page     p95 {p95(page_plain):7.1f} ms")
    print(f"lesson page            p95 {p95(page_lesson):7.1f} ms")
    print(f"cached figure PNG      p95 {p95(cached_png):7.1f} ms")
    print(f"cached figure panel    p95 {p95(cached_panel):7.1f} ms")
    print(f"first forward figure       {first:7.1f} ms (loads MNIST and torch)")
    print(f"computed forward       p95 {p95(computed_forward):7.1f} ms")
    print(f"first VAE map figure       {map_first:7.1f} ms (loads the zoo checkpoint)")
    print(f"computed VAE map point p95 {p95(computed_map):7.1f} ms")
    print(f"first GPT panel            {gpt_first:7.1f} ms (loads the zoo checkpoint)")
    print(f"cached GPT panel       p95 {p95(cached_gpt):7.1f} ms")
    print(f"computed GPT next char p95 {p95(computed_gpt):7.1f} ms")
    print(f"computed GPT attention p95 {p95(computed_heads):7.1f} ms")
    print(
        f"GAN {args.gan_steps} steps: first frame after {frames[0]:.2f} s, "
        f"{len(frames)} frames, done in {gan_total:.1f} s"
    )
    print(
        f"bench: learn cached PNG p95 {p95(cached_png):.1f} ms, panel {p95(cached_panel):.1f} ms, "
        f"lesson page {p95(page_lesson):.1f} ms vs plain article {p95(page_plain):.1f} ms "
        f"(x{p95(page_lesson) / p95(page_plain):.2f}); computed forward p95 "
        f"{p95(computed_forward):.0f} ms, VAE map p95 {p95(computed_map):.0f} ms; "
        f"GAN first frame {frames[0]:.2f} s; GPT panel cached p95 {p95(cached_gpt):.1f} ms, "
        f"computed next char p95 {p95(computed_gpt):.0f} ms, attention p95 "
        f"{p95(computed_heads):.0f} ms"
    )


if __name__ == "__main__":
    main()
