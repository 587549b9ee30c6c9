"""Published lab models in search: found by name, model card, family and data set. Private
models are found by their owner only, like the lab's own list (``selectors.visible_models``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.core.markdown import to_plain_text
from agora.lab.models import FAMILY_CHOICES, Generation, LabModel
from agora.lab.zoo_texts import ZOO_TEXTS
from agora.search.receivers import follow
from agora.search.registry import (
    Card,
    Document,
    SearchKind,
    Visibility,
    in_every_language,
    register_kind,
    viewer_id,
)

MODEL = "model"
FAMILIES = dict(FAMILY_CHOICES)


def zoo_words(zoo_name: str, about: bool = True) -> str:
    """A zoo model's title (and about) in every language of the site (lab/zoo_texts.py), so
    "扩散" finds the zoo's DDPM whatever language its card was stored in; "" for any other model."""
    texts = ZOO_TEXTS.get(zoo_name) if zoo_name else None
    return in_every_language(*(texts if about else texts[:1])) if texts else ""


def documents(ids: list[int]) -> dict[int, Document]:
    models = LabModel.objects.filter(id__in=ids).select_related("run")
    return {
        model.id: Document(
            object_id=model.id,
            title=model.name,
            body=to_plain_text(model.card_html) if model.card_html else model.card,
            keywords=" ".join(
                [
                    model.run.family,
                    in_every_language(FAMILIES.get(model.run.family)),
                    model.run.dataset,
                    zoo_words(model.zoo_name),
                ]
            ),
            created_at=model.created_at,
            is_private=model.private,
            author_id=model.owner_id,
        )
        for model in models
    }


def visibility(viewer, access) -> Visibility:
    """Public models, and the viewer's own private ones (as ``visible_models``)."""
    table = LabModel._meta.db_table
    return Visibility(
        joins=f" JOIN {table} lm ON lm.id = d.object_id",
        where=" AND (lm.private = %s OR lm.owner_id = %s)",
        params=[False, viewer_id(viewer)],
    )


def cards(ids: list[int], viewer) -> dict[int, Card]:
    models = LabModel.objects.select_related("owner", "run").in_bulk(ids)
    return {
        model.id: Card(
            url=model.get_absolute_url(),
            title=model.display_name,
            created_at=model.created_at,
            author=model.owner,
            thumbnail=model.run.samples[-1].get("url", "") if model.run.samples else "",
            details=[model.run.get_family_display(), model.run.dataset],
            flags=[str(_("Private"))] * model.private
            + [str(_("Earlier version"))] * bool(model.superseded_by_id),
        )
        for model in models.values()
    }


register_kind(
    SearchKind(
        name=MODEL,
        documents=documents,
        all_ids=lambda: LabModel.objects.values_list("id", flat=True),
        visibility=visibility,
        label=_("Models"),
        noun=_("Model"),
        order=50,
        cards=cards,
    )
)
follow(LabModel, MODEL)


# --- texts the lab's text models wrote -----------------------------------------------------------

TEXT = "text"


def text_documents(ids: list[int]) -> dict[int, Document]:
    """A finished text generation: found by its texts, its prompt and acrostic, and its model."""
    generations = Generation.objects.filter(
        id__in=ids, status=Generation.Status.DONE, recipe__kind="text", reproduces=None
    ).select_related("model", "model__run")
    return {
        g.id: Document(
            object_id=g.id,
            title=text_title(g),
            body="\n\n".join(g.texts),
            keywords=" ".join(
                [g.model.name, g.model.run.dataset, "gpt", zoo_words(g.model.zoo_name, about=False)]
            ),
            created_at=g.created_at,
            is_private=g.model.private,
            author_id=g.owner_id,
        )
        for g in generations
    }


def text_title(generation: Generation, shown: bool = False) -> str:
    """The model's name and the acrostic or prompt; ``shown``: the name in the reader's language
    (a result card), else as stored (the index, which no one language may colour)."""
    r = generation.recipe
    what = r.get("acrostic") or r.get("prompt") or ""
    name = generation.model.display_name if shown else generation.model.name
    return f"{name} · {what}" if what else name


def text_visibility(viewer, access) -> Visibility:
    """As the generation page: texts of a public model, and those of the viewer's own models."""
    generations = Generation._meta.db_table
    models = LabModel._meta.db_table
    return Visibility(
        joins=(
            f" JOIN {generations} lg ON lg.id = d.object_id"
            f" JOIN {models} lgm ON lgm.id = lg.model_id"
        ),
        where=" AND (lgm.private = %s OR lgm.owner_id = %s)",
        params=[False, viewer_id(viewer)],
    )


def text_cards(ids: list[int], viewer) -> dict[int, Card]:
    generations = Generation.objects.select_related("owner", "model").in_bulk(ids)
    return {
        g.id: Card(
            url=g.get_absolute_url(),
            title=text_title(g, shown=True),
            created_at=g.created_at,
            author=g.owner,
            details=[str(_("Text")), g.model.display_name],
            flags=[str(_("Private"))] if g.model.private else [],
        )
        for g in generations.values()
    }


register_kind(
    SearchKind(
        name=TEXT,
        documents=text_documents,
        all_ids=lambda: Generation.objects.filter(recipe__kind="text").values_list("id", flat=True),
        visibility=text_visibility,
        label=_("Texts"),
        noun=_("Text"),
        order=55,
        cards=text_cards,
    )
)
follow(Generation, TEXT)
