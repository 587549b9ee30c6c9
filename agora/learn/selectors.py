"""Reads of the Learn section, shared by its pages and the API."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from agora.learn.models import Article, Resource


def articles(*, difficulty: str = "", language: str = "", area: str = "") -> QuerySet[Article]:
    """Articles, newest first within an area, filtered by the known values only."""
    rows = Article.objects.prefetch_related("authors").select_related("series")
    if difficulty in Article.Difficulty.values:
        rows = rows.filter(difficulty=difficulty)
    if language:
        rows = rows.filter(language=language)
    if area in Article.Area.values:
        rows = rows.filter(area=area)
    return rows


def get_article(*, slug: str) -> Article:
    found = (
        Article.objects.select_related("series", "topic")
        .prefetch_related("authors")
        .filter(slug=slug)
        .first()
    )
    if found is None:
        raise Http404("No such article")
    return found


def resources(*, kind: str = "") -> QuerySet[Resource]:
    """The library, most used first."""
    rows = Resource.objects.select_related("topic").order_by("-use_count", "-created_at")
    if kind in Resource.Kind.values:
        rows = rows.filter(kind=kind)
    return rows


def get_resource(*, resource_id: int) -> Resource:
    found = Resource.objects.prefetch_related("maintainers").filter(pk=resource_id).first()
    if found is None:
        raise Http404("No such resource")
    return found


MAX_LESSONS_LISTED = 100  # a series has a handful of lessons: the list stays short


def completed_lessons(*, member) -> list:
    """The lessons `member` marked done, most recent first (one query)."""
    from agora.learn.models import LessonCompletion

    return list(
        LessonCompletion.objects.filter(user=member)
        .select_related("article")
        .only("created_at", "article__title", "article__slug")
        .order_by("-created_at")[:MAX_LESSONS_LISTED]
    )
