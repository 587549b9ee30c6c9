"""Works in search: found by title, description, tags and, unless the author hides it, the
recipe (prompt, negative prompt, model, sampler). Private works are found by their author only,
like the gallery's own lists (``selectors.visible_works``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.gallery.models import Work
from agora.gallery.selectors import viewer_level
from agora.search.receivers import follow
from agora.search.registry import (
    Card,
    Document,
    SearchKind,
    Visibility,
    register_kind,
    viewer_id,
)

WORK = "work"


def _text(work: Work) -> str:
    parts = [work.description]
    if not work.recipe_hidden:
        parts += [work.prompt, work.negative_prompt, work.sampler]
    return "\n".join(p for p in parts if p)


def _model(work: Work) -> str:
    """The model's name is part of the recipe: a hidden recipe keeps it out of search."""
    return "" if work.recipe_hidden else work.model_name


def documents(ids: list[int]) -> dict[int, Document]:
    return {
        work.id: Document(
            object_id=work.id,
            title=work.title,
            body=_text(work),
            keywords=" ".join([_model(work), *(f"#{tag}" for tag in work.tags or [])]),
            created_at=work.created_at,
            is_private=work.private,
            author_id=work.author_id,
        )
        for work in Work.objects.filter(id__in=ids)
    }


def visibility(viewer, access) -> Visibility:
    """Public works, and the viewer's own private ones (as ``visible_works``)."""
    table = Work._meta.db_table
    return Visibility(
        joins=f" JOIN {table} gw ON gw.id = d.object_id",
        where=" AND (gw.private = %s OR gw.author_id = %s)",
        params=[False, viewer_id(viewer)],
    )


def cards(ids: list[int], viewer) -> dict[int, Card]:
    works = Work.objects.select_related("author").in_bulk(ids)
    level = viewer_level(viewer) if works else Work.NSFW.NONE
    return {
        work.id: Card(
            url=work.get_absolute_url(),
            title=work.title,
            created_at=work.created_at,
            author=work.author,
            thumbnail=work.thumbnail.url if work.thumbnail else "",
            blurred=work.nsfw > level,
            details=[d for d in [_model(work)] if d],
            flags=[str(_("Private"))] if work.private else [],
        )
        for work in works.values()
    }


register_kind(
    SearchKind(
        name=WORK,
        documents=documents,
        all_ids=lambda: Work.objects.values_list("id", flat=True),
        visibility=visibility,
        label=_("Works"),
        noun=_("Work"),
        order=40,
        cards=cards,
    )
)
follow(Work, WORK)
