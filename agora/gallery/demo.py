"""Demo works: small procedural images (honestly without a recipe), beside the lab demo's
model-made works, so the gallery is alive."""

from __future__ import annotations

import io
import math

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from agora.accounts.models import User
from agora.gallery import services
from agora.gallery.models import Work

WORKS = [
    (
        "alice",
        "Nebula over a quiet sea",
        "a nebula over a quiet sea, volumetric light",
        7,
        (40, 20, 90),
        (250, 140, 60),
    ),
    (
        "bob",
        "Sketchbook fox",
        "pencil sketch of a fox, cross hatching",
        11,
        (235, 230, 220),
        (60, 60, 60),
    ),
    ("chenwei", "霓虹城市夜景", "赛博朋克城市夜景，霓虹灯，雨夜", 23, (10, 10, 40), (0, 220, 200)),
    (
        "linxiao",
        "Sound waves in watercolor",
        "watercolor sound waves, pastel",
        5,
        (250, 245, 235),
        (120, 90, 200),
    ),
]


def _art(seed: int, background: tuple, accent: tuple) -> Image.Image:
    size = 384
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    for i in range(36):
        t = (i * 37 + seed * 13) % 100 / 100
        r = int(30 + 150 * abs(math.sin(seed + i)))
        x = int(size * (0.5 + 0.4 * math.cos(seed * 0.7 + i * 0.5)))
        y = int(size * (0.5 + 0.4 * math.sin(seed * 0.3 + i * 0.9)))
        colour = tuple(int(b + (a - b) * t) for a, b in zip(accent, background, strict=True))
        draw.ellipse((x - r // 3, y - r // 3, x + r // 3, y + r // 3), outline=colour, width=3)
    return image


def seed(*, out) -> None:
    if Work.objects.exists():
        return
    people = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in WORKS])}
    for username, title, prompt, seed_value, background, accent in WORKS:
        author = people.get(username)
        if author is None:
            continue
        # Drawn here, not by a model: no recipe is claimed for them (the lab's demo shares works
        # with real, reproducible recipes); the prompt they illustrate is their description.
        data = io.BytesIO()
        _art(seed_value, background, accent).save(data, format="PNG")
        services.upload_work(
            author=author,
            upload=SimpleUploadedFile(f"{seed_value}.png", data.getvalue()),
            title=title,
            description=f"Procedural sketch of: {prompt}",
            tags="demo",
            licence="cc-by-4.0",
        )
    out.write(f"Created {Work.objects.count()} demo works.")
