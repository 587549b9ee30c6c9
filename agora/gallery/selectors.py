from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from agora.core import trending
from agora.core.paging import keyset_page
from agora.gallery import permissions
from agora.gallery.models import Collection, Reaction, ViewerSettings, Work
from agora.gallery.permissions import can_see_work

PAGE_SIZE = 24


def visible_works(viewer) -> QuerySet[Work]:
    return Work.objects.select_related("author").filter(permissions.listed(viewer))


FILTERS = ("model", "dataset", "tag", "author")
# sort name -> (key column, whether the key is a number); every key has an index with id
SORTS = {
    "newest": ("created_at", False),
    "reacted": ("reaction_count", True),
    "trending": ("trending_score", True),
}


def work_feed(
    *,
    viewer,
    model: str = "",
    dataset: str = "",
    tag: str = "",
    author: str = "",
    sort: str = "newest",
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
):
    """A page of the works the viewer may see, filtered, newest first, most reacted first, or
    trending this week (agora.core.trending), and the cursor of the next page."""
    key, number = SORTS.get(sort, SORTS["newest"])
    queryset = visible_works(viewer)
    if sort == "trending":
        queryset = queryset.filter(created_at__gte=timezone.now() - trending.WINDOW)
    if model:
        # A hidden recipe's model does not find the work, except for whom may see the recipe.
        queryset = queryset.filter(model_name=model).filter(permissions.recipe_shown(viewer))
    if dataset:
        queryset = queryset.filter(dataset=dataset)
    if tag:
        queryset = queryset.filter(tags__icontains=f'"{tag.lower()}"')
    if author:
        queryset = queryset.filter(author__username=author)
    return keyset_page(queryset, key=key, cursor=cursor, limit=limit, number=number)


def get_work_for_viewer(*, work_id: int, viewer) -> Work:
    work = (
        Work.objects.select_related("author", "remix_of", "remix_of__author")
        .filter(pk=work_id)
        .first()
    )
    if work is None or not can_see_work(viewer, work):
        raise Http404("No such work")
    return work


def viewer_level(viewer) -> int:
    if viewer is None or not viewer.is_authenticated:
        return Work.NSFW.NONE
    settings = ViewerSettings.objects.filter(user=viewer).first()
    return settings.max_nsfw if settings else Work.NSFW.NONE


def my_reactions(*, viewer, work: Work) -> set[str]:
    if not viewer.is_authenticated:
        return set()
    return set(Reaction.objects.filter(work=work, user=viewer).values_list("kind", flat=True))


def visible_remixes(*, viewer, work: Work) -> list[Work]:
    return list(visible_works(viewer).filter(remix_of=work).order_by("-created_at")[:24])


def get_collection_for_viewer(*, collection_id: int, viewer):
    """A collection: public ones for everyone, private ones for their owner only."""
    found = Collection.objects.select_related("owner").filter(pk=collection_id).first()
    if found is None or (found.private and found.owner_id != getattr(viewer, "pk", None)):
        raise Http404("No such collection")
    return found


def collection_works(
    *, collection, viewer, cursor: str | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Work], str | None]:
    """A page of the works of a collection that the viewer may see, newest first, and the
    cursor of the next page."""
    return keyset_page(
        visible_works(viewer).filter(collections=collection),
        key="created_at",
        cursor=cursor,
        limit=limit,
    )
