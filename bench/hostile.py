"""Complexity of every parser and renderer that runs on member input, on hostile input.

Each case times one user-facing parser on a generated pathological input of size n and 4n and
prints the ratio: near 4 is linear, near 16 is quadratic (a bug: one request can pin a CPU).
Where the old code is kept here (the word-level diff, the Markdown block rules without their
guard, the A1111 regex, the image-count regex, the all-in-memory archive check), it is timed on
the same inputs at a smaller n, for a before/after figure.

    PYTHONPATH=. .venv/bin/python bench/hostile.py [--quick]

The last line starts with `bench: hostile`."""

from __future__ import annotations

import contextlib
import difflib
import gc
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agora.settings")

LINEAR_LIMIT = 8.0  # a ratio past this for 4x the input is reported as super-linear


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """Least CPU time of this process over ``repeat`` runs (CPU, not wall: the machine is shared,
    and other processes' load would show as a bogus ratio)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        fn()
        best = min(best, time.process_time() - started)
    return best


def measure(n: int, make: Callable[[int], object], run: Callable, repeat: int):
    small, large = make(n), make(4 * n)
    t1 = best_of(lambda: run(small), repeat)
    t4 = best_of(lambda: run(large), repeat)
    return t1, t4, large


def ratio_row(name: str, n: int, make: Callable[[int], object], run: Callable, repeat=3):
    t1, t4, large = measure(n, make, run, repeat)
    ratio = t4 / max(t1, 1e-6)
    if ratio > LINEAR_LIMIT and t4 > 0.05 and not name.startswith("OLD"):
        t1, t4, large = measure(n, make, run, repeat + 2)  # confirm before calling it a bug
        ratio = min(ratio, t4 / max(t1, 1e-6))
    if isinstance(large, tuple):  # a diff's (before, after)
        size = sum(map(len, large))
    else:
        size = len(large) if hasattr(large, "__len__") else 4 * n
    flag = "SUPER-LINEAR" if ratio > LINEAR_LIMIT and t4 > 0.05 else "ok"
    print(
        f"{name:44} n={n:>7} {t1 * 1000:9.1f} ms  4n={t4 * 1000:9.1f} ms  "
        f"ratio {ratio:5.1f}  ({size:,} at 4n) {flag}",
        flush=True,
    )
    return name, ratio, t4, flag


# --- the old code, kept for the before/after figures ------------------------------------------

_OLD_TOKEN = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


def old_html_diff(before: str, after: str) -> str:
    """agora/forum/diff.py before: one word-level SequenceMatcher over the whole text."""
    from django.utils.html import escape

    a, b = _OLD_TOKEN.findall(before), _OLD_TOKEN.findall(after)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in {"delete", "replace"}:
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in {"insert", "replace"}:
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return "".join(out)


OLD_A1111_KEY = re.compile(r"\s*([A-Za-z][\w ]*?):\s*(\"(?:[^\"\\]|\\.)*\"|[^,]*)(?:,|$)")
OLD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(")


def old_markdown_parser():
    """Today's parser with the math block rules put back without their guard."""
    from mdit_py_plugins.dollarmath.index import math_block_dollar

    from agora.core.markdown import _build_parser
    from agora.core.markdown.mathml import _bracket_math_block

    md = _build_parser()
    md.block.ruler.at("bracket_math_block", _bracket_math_block)
    md.block.ruler.at("math_block", math_block_dollar(allow_labels=False, allow_blank_lines=False))
    return md


# --- inputs ------------------------------------------------------------------------------------


def png(mode: str = "L", size: int = 1, **text: str) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new(mode, (size, size)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def zip_of_pngs(count: int, folder: Path) -> Path:
    path = folder / f"set-{count}.zip"
    if not path.exists():
        data = png()
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            for i in range(count):
                archive.writestr(f"{i}.png", data)
    return path


def article(paragraphs: int, edited: bool) -> str:
    parts = []
    for i in range(paragraphs):
        text = f"Paragraph {i}: the beta schedule of run {i} and $x_{{{i}}}$ with eps."
        if edited and i % 25 == 7:
            text = text.replace("beta schedule", "cosine beta schedule (edited)")
        parts.append(text)
    return "\n\n".join(parts)


# --- the archive check's memory, old and new, each in a fresh process -------------------------

_MEMORY_CHILD = """
import sys
from pathlib import Path
import numpy as np, torch
from genlab import data
path, which = Path(sys.argv[1]), sys.argv[2]
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])
open("/proc/self/clear_refs", "w").write("5")  # resets the peak (VmHWM) to the current size
before = status("VmRSS:")
if which == "old":  # genlab/data.py before: every decoded image and its float copy in lists
    entries = data._zip_entries(path, 10**9)
    entries.sort(key=lambda e: e[0])
    images = [data._decode(name, read(), 32) for name, read in entries]
    arrays = []
    for im, _ in images:
        a = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
        arrays.append(a[None])
    x = torch.from_numpy(np.stack(arrays) * 2 - 1)
else:
    x = data.load_dataset(str(path), image_size=32, max_images=10**9).x
print((status("VmHWM:") - before) / 1024)
"""


def archive_memory_mb(path: Path, which: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, str(path), which],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": "."},
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    import django

    django.setup()
    from agora.core.markdown import render
    from agora.core.markdown.mathml import tex_to_mathml
    from agora.forum.diff import html_diff
    from agora.gallery import metadata
    from agora.learn import frontmatter
    from agora.moderation.services import links_and_images
    from agora.search.query import parse as parse_query
    from agora.search.snippets import highlight
    from genlab.data import load_dataset, zip_entry_count
    from genlab.errors import TooManyImages

    quick = "--quick" in sys.argv
    k = 1 if quick else 2  # --quick: half the sizes
    rows = []

    def row(name, n, make, run, repeat=3):
        rows.append(ratio_row(name, max(1, n // (2 // k)), make, run, repeat))

    print("-- Markdown (render: parse, plugins, MathML, sanitizer)")
    md = [
        ("\\[ block openers between # lines", 1000, lambda n: "\\[a\n#\n" * n),
        ("$$ block openers between # lines", 1000, lambda n: "$$a\n#\n" * n),
        ("\\( inline openers", 4000, lambda n: "\\( " * n),
        ("\\[ inline openers", 4000, lambda n: "\\[ x " * n),
        ("$ inline openers", 4000, lambda n: "$a " * n),
        ("$$ inline openers", 4000, lambda n: "$$a " * n),
        ("nested [ ]", 4000, lambda n: "[" * n + "a" + "]" * n),
        ("link openers [a](", 2000, lambda n: "[a](" * n),
        ("emphasis *a **a", 2000, lambda n: "*a **a " * n),
        ("backtick runs", 2000, lambda n: "`a``" * n),
        ("entities &#", 4000, lambda n: "&#" * n),
        ("nested > quotes", 4000, lambda n: ">" * n + " a"),
        ("list markers - - -", 2000, lambda n: "- " * n + "a"),
        (
            "indented list ladder",
            500,
            lambda n: "".join("  " * (i % 50) + "- a\n" for i in range(n)),
        ),
        ("table rows", 1000, lambda n: "|a|b|\n|-|-|\n" + "|x|y\n" * n),
        ("table columns", 1000, lambda n: "|a" * n + "\n" + "|-" * n + "\n" + "|x" * n + "\n"),
        ("footnote definitions", 500, lambda n: "".join(f"[^{i}]: b\n" for i in range(n))),
        ("www. autolinks", 2000, lambda n: "www.a.b " * n),
        ("@mentions", 4000, lambda n: "@abc " * n),
        ("@ runs", 4000, lambda n: "@" * n),
        ("same heading repeated", 500, lambda n: "# Notes\n" * n),
        ("unclosed fences", 1000, lambda n: "```\n#\n" * n),
        ("mermaid fences", 500, lambda n: "```mermaid\ngraph TD; A-->B\n```\n" * n),
        ("python fences (highlight budget)", 300, lambda n: "```python\nx = 1  # c\n```\n" * n),
    ]
    for name, n, make in md:
        row(f"markdown: {name}", n, make, render, repeat=1)

    print("-- math (latex2mathml through tex_to_mathml, cache cleared)")

    def tex(source: str) -> str:
        tex_to_mathml.cache_clear()
        return tex_to_mathml(source, display=True)

    row("math: long sum a_i+", 1000, lambda n: "".join(f"a_{{{i}}}+" for i in range(n)), tex)
    row("math: \\frac chain", 300, lambda n: "\\frac{a}{b}" * n, tex)
    row("math: nested braces", 200, lambda n: "{" * n + "x" + "}" * n, tex)
    row("math: \\left( \\right) pairs", 300, lambda n: "\\left(x\\right)" * n, tex)

    print("-- edit-history diff (agora/forum/diff.py)")
    row(
        "diff: 'a a a' -> 'a b a b' (words)",
        8000,
        lambda n: ("a " * n, "a b " * (n // 2)),
        lambda p: html_diff(*p),
    )
    row(
        "diff: repeated lines",
        8000,
        lambda n: ("a\n" * n, "a\nb\n" * (n // 2)),
        lambda p: html_diff(*p),
    )
    row(
        "diff: reversed digits",
        4000,
        lambda n: (
            " ".join(str(i % 10) for i in range(n)),
            " ".join(str(i % 10) for i in reversed(range(n))),
        ),
        lambda p: html_diff(*p),
    )
    row(
        "diff: article with an edit every 25 paragraphs",
        500,
        lambda n: (article(n, False), article(n, True)),
        lambda p: html_diff(*p),
    )
    row(
        "diff: one long line, one word changed",
        20000,
        lambda n: ("w " * n + "x " + "w " * n, "w " * n + "y " + "w " * n),
        lambda p: html_diff(*p),
    )

    print("-- gallery metadata readers (agora/gallery/metadata.py)")
    a1111_cases = [
        ("A1111 words without a colon", lambda n: "p\nSteps: 1, " + "a " * n),
        ("A1111 unclosed quotes", lambda n: "p\nSteps: 1, " + 'k: "x, ' * (n // 7)),
        ("A1111 long key run", lambda n: "p\nSteps: 1, " + "a" * n + ":b"),
    ]
    for name, make in a1111_cases:
        row(f"metadata: {name}", 8000, make, lambda t: metadata.parse_a1111(t, metadata.Recipe()))

    def comfy(n: int) -> str:
        sampler = {"class_type": "KSampler", "inputs": {"seed": 1, "positive": ["0", 0]}}
        nodes = {str(i): sampler for i in range(n)}
        return json.dumps(nodes)

    row(
        "metadata: ComfyUI graph of n samplers",
        500,
        comfy,
        lambda text: metadata.parse_comfyui(text, metadata.Recipe()),
    )
    row(
        "metadata: ComfyUI nested arrays",
        5000,
        lambda n: "[" * n + "]" * n,
        lambda text: metadata.parse_comfyui(text, metadata.Recipe()),
    )
    row(
        "metadata: EXIF UserComment (UTF-16)",
        8000,
        lambda n: b"UNICODE\x00" + ("Steps: 1, " * (n // 10)).encode("utf-16-be"),
        metadata.decode_user_comment,
    )

    def read_png(data: bytes):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return metadata.read_recipe(image)

    def png_text(n: int) -> bytes:
        return png("RGB", 8, parameters="p\nSteps: 1, " + "a " * (n // 2))

    row("metadata: 8x8 PNG, parameters chunk", 8000, png_text, read_png)

    print("-- search, front matter, moderation counts")
    row("search: query parse (capped at 300 chars)", 4000, lambda n: '"a b ' * n, parse_query)
    row(
        "search: snippet highlight in a long post",
        20000,
        lambda n: "diffusion x " * n,
        lambda text: highlight(text, parse_query("diffus model sampler")),
    )
    row(
        "learn: front matter of n lines",
        2000,
        lambda n: "---\n" + "title: x\n" * n + "---\nbody",
        frontmatter.parse,
    )
    row(
        "moderation: link and image count in ![![![",
        20000,
        lambda n: "![" * n,
        links_and_images,
    )

    print("-- data-set archives (genlab/data.py)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        row(
            "archive: check of n one-pixel PNGs",
            250,
            lambda n: zip_of_pngs(n, folder),
            lambda path: load_dataset(str(path), image_size=32),
            repeat=1,
        )
        row(
            "archive: entry count from the end record",
            2000,
            lambda n: zip_of_pngs(n, folder),
            zip_entry_count,
        )
        big = zip_of_pngs(50_000 if quick else 200_000, folder)
        started = time.perf_counter()
        with contextlib.suppress(TooManyImages):
            load_dataset(str(big), image_size=32, max_images=20_000)
        refused_ms = (time.perf_counter() - started) * 1000
        print(
            f"archive of {zip_entry_count(big):,} PNGs ({big.stat().st_size / 2**20:.0f} MB) "
            f"refused at a 20,000 cap in {refused_ms:.0f} ms, before any decoding"
        )
        count = 2000 if quick else 10_000
        sample = zip_of_pngs(count, folder)
        old_mb = archive_memory_mb(sample, "old")
        new_mb = archive_memory_mb(sample, "new")
        print(
            f"archive check of {count:,} PNGs, peak memory growth: old {old_mb:.0f} MB, "
            f"new {new_mb:.0f} MB ({old_mb / max(new_mb, 1):.1f}x less)"
        )

    print("-- the old code on the same inputs (smaller n: it is quadratic or worse)")
    old_md = old_markdown_parser()
    before = [
        ratio_row(
            "OLD diff: 'a a a' -> 'a b a b'",
            100,
            lambda n: ("a " * n, "a b " * (n // 2)),
            lambda p: old_html_diff(*p),
            repeat=1,
        ),
        ratio_row(
            "NEW diff: same input, same n",
            100,
            lambda n: ("a " * n, "a b " * (n // 2)),
            lambda p: html_diff(*p),
            repeat=1,
        ),
        ratio_row(
            "OLD markdown: \\[ block openers",
            250 * k,
            lambda n: "\\[a\n#\n" * n,
            old_md.render,
            repeat=1,
        ),
        ratio_row(
            "OLD markdown: $$ block openers",
            250 * k,
            lambda n: "$$a\n#\n" * n,
            old_md.render,
            repeat=1,
        ),
        ratio_row(
            "OLD metadata: A1111 regex, no colons",
            2000 * k,
            lambda n: "Steps: 1, " + "a " * (n // 2),
            lambda line: OLD_A1111_KEY.findall(line),
            repeat=1,
        ),
        ratio_row(
            "OLD moderation: image count in ![![![",
            2500 * k,
            lambda n: "![" * n,
            lambda text: len(OLD_IMAGE_RE.findall(text)),
            repeat=1,
        ),
    ]

    worst = max(rows, key=lambda r: r[1])
    bad = [r for r in rows if r[3] != "ok"]
    old_worst = max((r for r in before if r[0].startswith("OLD")), key=lambda r: r[1])
    print(
        f"bench: hostile cases={len(rows)} super_linear={len(bad)} "
        f"worst={worst[0]!r} ratio={worst[1]:.1f} slowest_4n={max(r[2] for r in rows):.2f}s "
        f"old_worst_ratio={old_worst[1]:.1f} ({old_worst[0]})"
    )


if __name__ == "__main__":
    main()
