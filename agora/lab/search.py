"""Published lab models in search: found by name, model card, family and data set. Private
models are found by their owner only, like the lab's own list (``selectors.visible_models``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.core.markdown import to_plain_text
from agora.lab.models import FAMILY_CHOICES, LabModel
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
            title=model.name,
            created_at=model.created_at,
            author=model.owner,
            thumbnail=model.run.samples[-1].get("url", "") if model.run.samples else "",
            details=[model.run.get_family_display(), model.run.dataset],
            flags=[str(_("Private"))] if model.private else [],
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
