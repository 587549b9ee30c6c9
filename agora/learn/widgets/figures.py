"""Small PNG figures drawn with Pillow: line plots, scatter plots with a shaded field, and image
rows. Pixels are upscaled by whole factors (nearest neighbour), so digits stay crisp."""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
INK = (40, 40, 40)
GRID = (225, 225, 225)


DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@functools.lru_cache(maxsize=8)
def font(size: int = 12) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """DejaVu Sans where the system has it (Greek letters, subscripts, √), else Pillow's own."""
    try:
        return ImageFont.truetype(DEJAVU, size)
    except OSError:
        return ImageFont.load_default(size=size)


def to_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def pixels(x: np.ndarray, scale: int) -> Image.Image:
    """An image in [-1, 1], shape (C, H, W), as an RGB picture `scale` times larger."""
    unit = np.clip((x + 1) / 2, 0, 1)
    arr = (unit * 255).round().astype(np.uint8)
    arr = np.repeat(arr, 3, axis=0) if arr.shape[0] == 1 else arr[:3]
    img = Image.fromarray(arr.transpose(1, 2, 0), "RGB")
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def image_row(
    images: Sequence[np.ndarray], captions: Sequence[str], *, scale: int, pad: int = 8
) -> Image.Image:
    """Images side by side, each with a caption under it."""
    tiles = [pixels(x, scale) for x in images]
    w = max(t.width for t in tiles)
    h = max(t.height for t in tiles)
    canvas = Image.new("RGB", (len(tiles) * (w + pad) + pad, h + 2 * pad + 16), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (tile, caption) in enumerate(zip(tiles, captions, strict=True)):
        x = pad + i * (w + pad)
        canvas.paste(tile, (x, pad))
        draw.text((x + w / 2, h + pad + 3), caption, fill=INK, font=font(11), anchor="ma")
    return canvas


class Axes:
    """A plot area mapping data coordinates to pixels (y up)."""

    def __init__(
        self,
        image: Image.Image,
        box: tuple[int, int, int, int],
        xlim: tuple[float, float],
        ylim: tuple[float, float],
    ) -> None:
        self.image, self.box, self.xlim, self.ylim = image, box, xlim, ylim
        self.draw = ImageDraw.Draw(image)

    def px(self, x: float, y: float) -> tuple[float, float]:
        left, top, right, bottom = self.box
        fx = (x - self.xlim[0]) / (self.xlim[1] - self.xlim[0])
        fy = (y - self.ylim[0]) / (self.ylim[1] - self.ylim[0])
        return left + fx * (right - left), bottom - fy * (bottom - top)

    def frame(self, title: str = "", xlabel: str = "") -> None:
        self.draw.rectangle(self.box, outline=INK)
        left, top, right, bottom = self.box
        if title:
            self.draw.text((left, top - 16), title, fill=INK, font=font(12))
        if xlabel:
            self.draw.text(
                ((left + right) / 2, bottom + 4), xlabel, fill=INK, font=font(11), anchor="ma"
            )

    def ticks(self, ys: Sequence[float], fmt: str = "{:g}") -> None:
        left, _top, right, _bottom = self.box
        for y in ys:
            _, py = self.px(self.xlim[0], y)
            self.draw.line([(left, py), (right, py)], fill=GRID)
            self.draw.text((left - 3, py), fmt.format(y), fill=INK, font=font(10), anchor="rm")

    def line(self, xs: Sequence[float], ys: Sequence[float], color: str, width: int = 2) -> None:
        low, high = self.ylim
        points = [
            self.px(x, min(max(y, low), high))
            for x, y in zip(xs, ys, strict=True)
            if np.isfinite(y)
        ]
        if len(points) > 1:
            self.draw.line(points, fill=color, width=width)

    def vline(self, x: float, color: str = "#888888") -> None:
        px, _ = self.px(x, 0)
        self.draw.line([(px, self.box[1]), (px, self.box[3])], fill=color, width=1)

    def points(self, xy: np.ndarray, color: str, r: float = 1.5) -> None:
        left, top, right, bottom = self.box
        for x, y in xy:
            px, py = self.px(float(x), float(y))
            if left <= px <= right and top <= py <= bottom:
                self.draw.ellipse((px - r, py - r, px + r, py + r), fill=color)

    def field(self, values: np.ndarray, low=(239, 138, 98), high=(103, 169, 207)) -> None:
        """A grid of values in [0, 1] (rows from the top) painted behind the data."""
        lo, hi = np.array(low, float), np.array(high, float)
        v = np.clip(values, 0, 1)[..., None]
        rgb = (lo * (1 - v) + hi * v) * 0.45 + 255 * 0.55
        tile = Image.fromarray(rgb.round().astype(np.uint8), "RGB")
        left, top, right, bottom = self.box
        self.image.paste(
            tile.resize((right - left, bottom - top), Image.Resampling.BILINEAR), (left, top)
        )

    def legend(self, entries: Sequence[tuple[str, str]]) -> None:
        left, top, _right, _bottom = self.box
        for i, (label, color) in enumerate(entries):
            y = top + 6 + i * 14
            self.draw.line([(left + 6, y + 6), (left + 20, y + 6)], fill=color, width=3)
            self.draw.text((left + 24, y), label, fill=INK, font=font(11))


def blank(width: int, height: int) -> Image.Image:
    return Image.new("RGB", (width, height), "white")


def side_by_side(images: Sequence[Image.Image], pad: int = 8) -> Image.Image:
    w = sum(i.width for i in images) + pad * (len(images) - 1)
    h = max(i.height for i in images)
    canvas = blank(w, h)
    x = 0
    for image in images:
        canvas.paste(image, (x, 0))
        x += image.width + pad
    return canvas
