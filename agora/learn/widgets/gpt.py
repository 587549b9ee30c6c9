"""Lesson 5: a GPT from the model zoo (genlab.zoo's Tang poems model, characters). The
next-character distribution after a prompt, moved by temperature and top-p, and the attention
weights of one head over the prompt. Both are drawn as SVG, so the characters are set in the
reader's own fonts (the server has no CJK font), and listed in a table beside the figure."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from html import escape
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from agora.learn.widgets import WidgetInputError
from agora.learn.widgets.compute import Drawn, NoModel, zoo_entry

ZOO_NAME = "tang-gpt"
TOP = 20
START = "⏎"  # how the start token (the separator between poems) is shown
BLUE, ORANGE, GREY, INK, FAINT = "#1f77b4", "#ff7f0e", "#c8c8c8", "#282828", "#f1f1f1"


class NoTextModel(NoModel):
    def __str__(self) -> str:
        return _("This installation has no poetry model in its model zoo, so this figure is off.")


def zoo_model():
    """The zoo's poetry GPT when this build has its weights; None otherwise."""
    return zoo_entry(ZOO_NAME)


def model_state(state: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the cache key adds to a state: the checkpoint the figure is computed with."""
    found = zoo_model()
    if found is None:
        raise NoTextModel
    return {"checkpoint": found.weights_sha256[:16], "model": f"zoo:{found.name}"}


def _family():
    """The zoo model's genlab family, through the lab's cache of loaded checkpoints."""
    from agora.lab.checkpoints import cache

    found = zoo_model()
    if found is None:
        raise NoTextModel
    return cache().get(found.weights_path, found.weights_sha256).model


@functools.lru_cache(maxsize=2)
def _vocabulary(path: str, sha: str) -> tuple[str, int, int, int]:
    """The model's characters, context, layers and heads, from the checkpoint's header (no
    weights loaded: the settings of a Markdown block are checked with it)."""
    from agora.lab.checkpoints import checkpoint_meta

    meta = checkpoint_meta(path)
    text = (meta.get("data") or {}).get("text") or {}
    config = meta.get("config") or {}
    chars = json.loads(text.get("tokenizer", "{}")).get("chars", "")
    return (
        chars,
        int(config.get("block_size", 0)),
        int(config.get("n_layer", 0)),
        int(config.get("n_head", 0)),
    )


def check(state: dict[str, Any]) -> None:
    """Refuse a prompt with characters the model does not know, or a layer or head it lacks,
    naming them (WidgetInputError). Without the zoo model nothing is checked here."""
    found = zoo_model()
    if found is None:
        return
    chars, block, layers, heads = _vocabulary(str(found.weights_path), found.weights_sha256)
    prompt = state.get("prompt", "")
    unknown = sorted({c for c in prompt if c not in chars})
    if chars and unknown:
        raise WidgetInputError(
            _("This model does not know these characters: %(chars)s. It knows %(n)d characters.")
            % {"chars": "".join(unknown[:20]), "n": len(chars)}
            + " "
            + _("The Tang poems are written in traditional characters (風, not 风).")
        )
    if block and len(prompt) + 1 > block:
        raise WidgetInputError(
            _("The prompt is %(n)d characters; this model reads at most %(most)d.")
            % {"n": len(prompt), "most": block - 1}
        )
    for name, most in (("layer", layers), ("head", heads)):
        if name in state and most and state[name] > most:
            raise WidgetInputError(
                _("“%(name)s” must be between %(min)s and %(max)s.")
                % {"name": name, "min": 1, "max": most}
            )


def _shown(c: str) -> str:
    return START if c == "\n" else c


def _svg(width: int, height: int, body: list[str], label: str) -> bytes:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        "font-family=\"system-ui, -apple-system, 'Noto Sans CJK TC', 'PingFang TC', "
        "'Microsoft JhengHei', sans-serif\">"
        f'<rect width="{width}" height="{height}" fill="white"/>'
    )
    return (head + "".join(body) + "</svg>").encode()


def _text(x, y, s, size=12, anchor="middle", fill=INK, extra="") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{extra}>{escape(s)}</text>'
    )


def next_char(state: dict[str, Any]) -> Drawn:
    """The top characters of softmax(logits / T) as bars (blue: in the nucleus of top-p,
    grey: cut), with the renormalised probability of the nucleus beside each kept one."""
    from genlab.errors import RecipeError
    from genlab.gpt import next_char_distribution

    family = _family()
    try:
        out = next_char_distribution(family, state["prompt"], state["temperature"], state["top_p"])
    except RecipeError as exc:
        raise WidgetInputError(str(exc)) from exc
    probs, nucleus, kept = out.probs, out.nucleus, out.kept
    order = probs.argsort(descending=True)[:TOP].tolist()
    chars = family.tokenizer.chars
    width, height, left, top, bottom = 640, 300, 46, 34, 250
    slot = (width - left - 14) / TOP
    peak = max(float(probs[order[0]]), float(nucleus[order[0]]))
    ymax = max(0.05, math.ceil(peak * 10) / 10)

    def y(p: float) -> float:
        return bottom - (bottom - top) * p / ymax

    body = []
    for i in range(5):  # grid and ticks
        p = ymax * i / 4
        body.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(p):.1f}" y2="{y(p):.1f}" '
            f'stroke="#e1e1e1"/>'
        )
        body.append(_text(left - 6, y(p) + 4, f"{p:.2f}", 11, "end"))
    for i, token in enumerate(order):
        x0 = left + i * slot
        p, q = float(probs[token]), float(nucleus[token])
        colour = BLUE if bool(kept[token]) else GREY
        body.append(
            f'<rect x="{x0 + 3:.1f}" y="{y(p):.1f}" width="{slot * 0.45:.1f}" '
            f'height="{bottom - y(p):.1f}" fill="{colour}"/>'
        )
        if bool(kept[token]):
            body.append(
                f'<rect x="{x0 + 3 + slot * 0.45:.1f}" y="{y(q):.1f}" width="{slot * 0.35:.1f}" '
                f'height="{bottom - y(q):.1f}" fill="{ORANGE}"/>'
            )
        body.append(_text(x0 + slot * 0.45, bottom + 22, _shown(chars[token]), 17))
    body.append(f'<line x1="{left}" x2="{width - 10}" y1="{bottom}" y2="{bottom}" stroke="{INK}"/>')
    legend = [
        (BLUE, f"softmax(z / T), T = {state['temperature']:g}: kept by top-p = {state['top_p']:g}"),
        (GREY, "cut"),
        (ORANGE, "renormalised over the nucleus"),
    ]
    x = left
    for colour, label in legend:
        body.append(f'<rect x="{x}" y="10" width="11" height="11" fill="{colour}"/>')
        body.append(_text(x + 15, 20, label, 11, "start"))
        x += 26 + 6.3 * len(label)
    prompt = state["prompt"] or START
    svg = _svg(width, height, body, f"p(· | {prompt})")
    size = int(kept.sum())
    mass = float(probs[kept].sum())
    entropy = -float((probs[probs > 0] * probs[probs > 0].log2()).sum())
    rows = [
        [
            i + 1,
            _shown(chars[t]),
            f"{float(probs[t]):.4f}",
            "✓" if bool(kept[t]) else "—",
            f"{float(nucleus[t]):.4f}",
        ]
        for i, t in enumerate(order)
    ]
    return Drawn(
        svg,
        {
            "numbers": [
                [gettext_noop("characters in the nucleus"), size],
                [gettext_noop("their probability before renormalising"), f"{mass:.4f}"],
                [gettext_noop("entropy (bits)"), f"{entropy:.3f}"],
            ],
            "table": {
                "head": [
                    gettext_noop("rank"),
                    gettext_noop("character"),
                    "softmax(z / T)",
                    "top-p",
                    gettext_noop("renormalised"),
                ],
                "rows": rows,
            },
        },
    )


def _blue(weight: float) -> str:
    """White (0) to deep blue (1)."""
    w = max(0.0, min(1.0, weight)) ** 0.7
    r, g, b = (round(255 + (c - 255) * w) for c in (8, 48, 107))
    return f"#{r:02x}{g:02x}{b:02x}"


def attention(state: dict[str, Any]) -> Drawn:
    """One head's weights as a heat map: row i (the query, a position of the prompt) over the
    columns j ≤ i it may look at; the cells above the diagonal are masked."""
    from genlab.errors import RecipeError
    from genlab.gpt import attention_weights

    family = _family()
    try:
        maps = attention_weights(family, state["prompt"])
    except RecipeError as exc:
        raise WidgetInputError(str(exc)) from exc
    weights = maps[state["layer"] - 1, state["head"] - 1]
    labels = [START, *state["prompt"]]
    T = len(labels)
    cell = max(12, min(34, 420 // T))
    left, top = 34, 34
    side = cell * T
    width, height = left + side + 70, top + side + 12
    body = []
    for i in range(T):
        body.append(
            _text(left - 8, top + i * cell + cell / 2 + 5, labels[i], min(16, cell - 2), "end")
        )
        body.append(_text(left + i * cell + cell / 2, top - 10, labels[i], min(16, cell - 2)))
        for j in range(T):
            fill = FAINT if j > i else _blue(float(weights[i, j]))
            body.append(
                f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell}" height="{cell}" '
                f'fill="{fill}" stroke="white" stroke-width="1"/>'
            )
    bar = left + side + 22  # the colour scale, 0 at the bottom
    for k in range(20):
        y0 = top + side * (19 - k) / 20
        body.append(
            f'<rect x="{bar}" y="{y0:.1f}" width="12" height="{side / 20 + 0.5:.1f}" '
            f'fill="{_blue((k + 0.5) / 20)}"/>'
        )
    body.append(_text(bar + 16, top + 10, "1", 11, "start"))
    body.append(_text(bar + 16, top + side, "0", 11, "start"))
    svg = _svg(width, height, body, f"layer {state['layer']}, head {state['head']}")
    rows = []
    for i in range(T):
        j = int(weights[i, : i + 1].argmax())
        rows.append([i, labels[i], labels[j], j, f"{float(weights[i, j]):.3f}"])
    return Drawn(
        svg,
        {
            "numbers": [
                [gettext_noop("positions (the start token and the prompt)"), T],
                [gettext_noop("layer, head"), f"{state['layer']}, {state['head']}"],
            ],
            "table": {
                "head": [
                    gettext_noop("position"),
                    gettext_noop("character"),
                    gettext_noop("looks most at"),
                    gettext_noop("position"),
                    gettext_noop("weight"),
                ],
                "rows": rows,
            },
        },
    )
