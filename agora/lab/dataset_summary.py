"""What the data set page shows about a data set: how many items, how many per class, and a
preview grid (a scatter plot for 2-D points). Uploads get theirs from the background check and
store it; built-in ones are summarised once per process and their preview kept under MEDIA_ROOT."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

PREVIEW_ITEMS = 16


@dataclass(frozen=True)
class Summary:
    name: str
    kind: str
    count: int
    class_counts: list[tuple[str, int]]  # in class order; empty when the set has no classes
    preview_url: str
    about: str = ""  # for a built-in set, a lazy translation (agora.lab.dataset_words)


def refusal_message(error: Exception, owner) -> str:
    """Why the check refused an upload, in the owner's language where the site words it."""
    from genlab.errors import TooManyImages

    if not isinstance(error, TooManyImages):
        return str(error)
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        return gettext(
            "The archive holds more than %(n)d images; a data set may have at most %(n)d. "
            "Upload a smaller selection."
        ) % {"n": error.limit}


def class_counts(loaded) -> list[tuple[str, int]]:
    """[(class name, number of items)] from a genlab Dataset, every class listed (even at 0)."""
    if loaded.y is None or not loaded.classes:
        return []
    counted = Counter(int(label) for label in loaded.y.tolist())
    return [(name, counted.get(index, 0)) for index, name in enumerate(loaded.classes)]


def write_preview(loaded, path: Path) -> None:
    """A grid of the first images, one of each class first when the set has classes."""
    from genlab.data import images_to_uint8
    from genlab.images import grid, save_png, scatter

    if loaded.kind == "points":
        save_png(path, scatter(loaded.x))
        return
    picks: list[int] = []
    if loaded.y is not None:
        seen: set[int] = set()
        for index, label in enumerate(loaded.y.tolist()):
            if label not in seen:
                seen.add(label)
                picks.append(index)
            if len(picks) == PREVIEW_ITEMS:
                break
    for index in range(len(loaded)):
        if len(picks) >= PREVIEW_ITEMS:
            break
        if index not in picks:
            picks.append(index)
    pixels = images_to_uint8(loaded.x[picks])
    if pixels.shape[-1] == 1:
        pixels = pixels.repeat(3, axis=-1)
    save_png(path, grid(pixels, nrow=4))


def preview_path(stem: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "lab" / "datasets" / f"preview-{stem}.png"


def media_url(path: Path) -> str:
    return settings.MEDIA_URL + str(path.relative_to(settings.MEDIA_ROOT))


@functools.lru_cache(maxsize=16)
def _builtin(name: str, media_root: str) -> Summary:
    from agora.lab.dataset_words import DESCRIPTIONS, class_name
    from genlab.data import list_datasets, load_dataset

    # lazy translations: this summary is kept per process and rendered in each reader's language
    english = {d["name"]: d["about"] for d in list_datasets()}.get(name, "")
    about = DESCRIPTIONS.get(name, english)
    loaded = load_dataset(name)
    # The preview shows the training split only: the held-out split's sealed part, which scores
    # challenges (genlab/challenge.py), is never shown.
    path = preview_path(f"builtin-{name}-train")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_preview(loaded.split()[0], path)
    return Summary(
        name=name,
        kind=loaded.kind,
        count=len(loaded),
        class_counts=[(class_name(c), n) for c, n in class_counts(loaded)],
        preview_url=media_url(path),
        about=about,
    )


def builtin_summary(name: str) -> Summary:
    return _builtin(name, str(settings.MEDIA_ROOT))
