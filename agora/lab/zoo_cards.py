"""A zoo model's card in the reader's language, written when the page is drawn rather than frozen
into the database in the language of whoever seeded the site: its about text from the catalogue
(zoo_texts.py), the headings and sentences through gettext, the numbers and hashes from the zoo's
committed card (genlab/zoo/models/<name>/), exactly as there. `LabModel.card` keeps the English
card for the API, search and link previews."""

from __future__ import annotations

import functools

from django.utils.translation import gettext as _

from agora.core.markdown import render
from agora.lab import zoo_texts
from agora.lab.models import LabModel


def card_markdown(entry) -> str:
    """The model card of a zoo entry (genlab.zoo.ZooModel) in the active language."""

    def cell(value) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    card = entry.card
    data = entry.licence
    train = card.get("train", {})
    about = zoo_texts.about(entry.name, entry.about)
    lines = [about, ""] if about else []
    lines += [
        _(
            "An official base model of the Agora model zoo (`genlab/zoo/models/%(name)s/`). "
            "Rebuild it bit for bit with `python -m genlab zoo build %(name)s`; check its weights "
            "and reference samples with `python -m genlab zoo verify %(name)s`."
        )
        % {"name": entry.name},
        "",
        "| | |",
        "|---|---|",
    ]
    dataset = data.get("name", entry.dataset)
    if data.get("url"):
        dataset = f"[{cell(dataset)}]({data['url']})"
    rows = [
        (_("Data set"), f"{dataset} · {cell(zoo_texts.data_text(data.get('source', '')))}"),
        (_("Data licence"), cell(zoo_texts.data_text(data.get("licence", "")))),
    ]
    if data.get("attribution"):
        rows.append((_("Attribution"), cell(data["attribution"])))
    if card.get("parameters"):
        rows.append((_("Parameters"), f"{card['parameters']:,}"))
    if train.get("cpu_minutes") is not None:
        load = train.get("load_average") or []
        rows.append(
            (
                _("Training"),
                _(
                    "%(cpu).2f CPU-minutes (%(wall).1f min wall, %(threads)s thread(s), "
                    "torch %(torch)s, %(date)s, load %(load)s)"
                )
                % {
                    "cpu": train["cpu_minutes"],
                    "wall": train.get("wall_minutes", 0),
                    "threads": train.get("threads", 1),
                    "torch": train.get("torch", "?"),
                    "date": train.get("date", "?"),
                    "load": f"{load[0]:.1f}" if load else "?",
                },
            )
        )
    rows += [
        (_("Recipe SHA-256"), f"`{entry.recipe_sha256}`"),
        (
            _("Weights SHA-256"),
            f"`{entry.weights_sha256}` ({card.get('weights_dtype', 'float32')})",
        ),
    ]
    if card.get("reference_sha256"):
        rows.append((_("Reference samples SHA-256"), f"`{card['reference_sha256']}`"))
    lines += [f"| {label} | {value} |" for label, value in rows]
    if entry.metrics:
        evaluation = card.get("evaluation", {})
        lines += [
            "",
            _("Metrics measured by genlab's evaluation (%(tool)s, %(n)s samples):")
            % {"tool": evaluation.get("tool", "genlab.metrics.evaluate"), "n": evaluation.get("n")},
        ]
        headline = headline_metrics(entry.metrics)
        if headline:
            lines += ["", headline]
        metric, value = _("Metric"), _("Value")  # (xgettext reads no call inside an f-string)
        lines += ["", f"| {metric} | {value} |", "|---|---|"]
        lines += [f"| {cell(k)} | {v:.4g} |" for k, v in sorted(entry.metrics.items())]
    return "\n".join(lines)


def headline_metrics(metrics: dict) -> str:
    """The card's first line of quality: what the site's evaluation says in words (classifier
    FD against real data's floor and conditional accuracy for images; bits per character and
    the form rate for poems; MMD² for 2-D points)."""
    parts = []
    if "classifier_fd" in metrics:
        text = _("Classifier FD %(fd).1f") % {"fd": metrics["classifier_fd"]}
        if "real_fd_floor" in metrics:
            text += " " + _("(real images at this sample count: %(floor).1f; lower is better)") % {
                "floor": metrics["real_fd_floor"]
            }
        parts.append(text)
    if "class_accuracy" in metrics:
        text = _("%(acc).0f %% of samples classified as the class asked for") % {
            "acc": 100 * metrics["class_accuracy"]
        }
        if "classifier_val_accuracy" in metrics:
            # what a perfect model would score: the classifier's own accuracy on real images
            text += " " + _("(real held-out images: %(acc).0f %%)") % {
                "acc": 100 * metrics["classifier_val_accuracy"]
            }
        parts.append(text)
    if "val_bits_per_char" in metrics:
        parts.append(
            _("%(bits).2f bits per character on held-out text")
            % {"bits": metrics["val_bits_per_char"]}
        )
    if "form_rate" in metrics:
        parts.append(
            _("%(rate).0f %% of free samples in a regular poem form")
            % {"rate": 100 * metrics["form_rate"]}
        )
    if "mmd2" in metrics:
        parts.append(_("MMD² %(mmd).4f to held-out points") % {"mmd": metrics["mmd2"]})
    return " · ".join(f"**{p}**" for p in parts)


def reference_note(reference: dict) -> str:
    """The card's last paragraph: where the reference samples are and what their hash says.
    `reference` is LabModel.zoo_reference: {"kind": "stored" | "identical" | "differs" |
    "failed", "url", and "got"/"want" (12-digit hashes) or "error"}."""
    kind = reference.get("kind")
    if kind == "stored":
        return _(
            "[Reference samples](%(url)s), made from the committed weights by `python -m genlab "
            "zoo build` and stored with them: ✓ their hash is the zoo card's reference hash. "
            "Press **Reproduce and verify** on them to have this site sample them again."
        ) % {"url": reference["url"]}
    if kind == "identical":
        return _(
            "[Reference samples](%(url)s), generated by this site from the committed weights: "
            "✓ identical to the zoo card's reference hash. Press **Reproduce and verify** on "
            "them to check again."
        ) % {"url": reference["url"]}
    if kind == "differs":
        return _(
            "[Reference samples](%(url)s), generated by this site from the committed weights: "
            "their hash `%(got)s` differs from the zoo card's `%(want)s` on this machine (a "
            "different CPU or torch build); **Reproduce and verify** checks this site's own."
        ) % {"url": reference["url"], "got": reference["got"], "want": reference["want"]}
    if kind == "failed":
        return _("The reference samples could not be generated here: %(error)s") % {
            "error": reference.get("error", "")
        }
    return ""


_ENTRIES: dict[str, object] = {}


def zoo_entry(name: str):
    """The zoo's entry of that name (its files are committed: read once per process), or None
    when this installation's zoo does not have it (asked again next time)."""
    from genlab.zoo import ZooError, get_model

    if name not in _ENTRIES:
        try:
            _ENTRIES[name] = get_model(name)
        except (ZooError, OSError, KeyError):
            return None
    return _ENTRIES[name]


@functools.lru_cache(maxsize=64)
def _rendered(markdown: str) -> str:
    return render(markdown)


def card_markdown_for(model: LabModel) -> str:
    """A zoo model's whole card in the active language ("" when the zoo no longer holds these
    weights)."""
    entry = zoo_entry(model.zoo_name) if model.zoo_name else None
    if entry is None or entry.weights_sha256 != model.checkpoint_sha256:
        return ""  # gone from the zoo, or rebuilt since: the stored card is this model's
    note = reference_note(model.zoo_reference)
    return card_markdown(entry) + (f"\n\n{note}" if note else "")


def card_html(model: LabModel) -> str:
    """The card the model page shows: a zoo model's in the reader's language (rendered once per
    process and language), any other model's as its owner wrote it. No query."""
    markdown = card_markdown_for(model)
    return _rendered(markdown) if markdown else model.card_html
