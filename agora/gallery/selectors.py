from __future__ import annotations

import base64
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from agora.gallery.models import Collection, Reaction, ViewerSettings, Work
from agora.gallery.services import can_see_work

PAGE_SIZE = 24


def visible_works(viewer) -> QuerySet[Work]:
    queryset = Work.objects.select_related("author")
    if viewer is not None and viewer.is_authenticated:
        return queryset.filter(Q(private=False) | Q(author=viewer))
    return queryset.filter(private=False)


def _cursor(work: Work) -> str:
    return base64.urlsafe_b64encode(
        f"{work.created_at.timestamp():.6f}:{work.id}".encode()
    ).decode()


def _decode(cursor: str | None):
    if not cursor:
        return None
    try:
        stamp, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return datetime.fromtimestamp(float(stamp), tz=UTC), int(pk)
    except (ValueError, UnicodeDecodeError, OverflowError):
        return None


FILTERS = ("model", "dataset", "tag", "author")


def work_feed(
    *, viewer, model: str = "", dataset: str = "", tag: str = "", author: str = "",
    cursor: str | None = None,
):  # fmt: skip
    queryset = visible_works(viewer)
    if model:
        queryset = queryset.filter(model_name=model)
    if dataset:
        queryset = queryset.filter(dataset=dataset)
    if tag:
        queryset = queryset.filter(tags__icontains=f'"{tag.lower()}"')
    if author:
        queryset = queryset.filter(author__username=author)
    position = _decode(cursor)
    if position:
        moment, pk = position
        queryset = queryset.filter(Q(created_at__lt=moment) | Q(created_at=moment, id__lt=pk))
    rows = list(queryset.order_by("-created_at", "-id")[: PAGE_SIZE + 1])
    next_cursor = _cursor(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    return rows[:PAGE_SIZE], next_cursor


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


def collection_works(*, collection, viewer, limit: int = 200) -> QuerySet[Work]:
    """The works of a collection the viewer may see, newest first."""
    return visible_works(viewer).filter(collections=collection).order_by("-created_at")[:limit]
