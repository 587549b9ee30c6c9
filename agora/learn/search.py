"""Articles and the resource library in search.

Articles: title, summary and body. An article exists only once it is published (``create_article``
publishes; there is no draft state), so every article row is searchable; ``published_articles``
is the one place to change when drafts arrive. Resources (projects, data sets, papers): title,
description, tags, licence, language, and for papers the authors, abstract and arXiv id. Both are
public."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from agora.core.markdown import to_plain_text
from agora.learn.models import Article, Resource
from agora.search.receivers import follow
from agora.search.registry import (
    Card,
    Document,
    SearchKind,
    Visibility,
    in_every_language,
    register_kind,
)

ARTICLE, RESOURCE = "article", "resource"
# lazy labels, for every language
AREAS, LEVELS = dict(Article.Area.choices), dict(Article.Difficulty.choices)
KINDS = dict(Resource.Kind.choices)


def published_articles() -> QuerySet[Article]:
    return Article.objects.all()


def article_documents(ids: list[int]) -> dict[int, Document]:
    return {
        article.id: Document(
            object_id=article.id,
            title=article.title,
            body=f"{article.summary}\n{to_plain_text(article.body_html)}",
            keywords=in_every_language(AREAS.get(article.area), LEVELS.get(article.difficulty)),
            created_at=article.created_at,
        )
        for article in published_articles().filter(id__in=ids)
    }


def article_visibility(viewer, access) -> Visibility:
    # Joining the live row makes a deleted article disappear before its document is removed.
    return Visibility(joins=f" JOIN {Article._meta.db_table} la ON la.id = d.object_id")


def article_cards(ids: list[int], viewer) -> dict[int, Card]:
    articles = published_articles().prefetch_related("authors").in_bulk(ids)
    return {
        article.id: Card(
            url=article.get_absolute_url(),
            title=article.title,
            created_at=article.created_at,
            author=next(iter(article.authors.all()), None),
            details=[article.get_area_display(), article.get_difficulty_display()],
        )
        for article in articles.values()
    }


def resource_documents(ids: list[int]) -> dict[int, Document]:
    documents = {}
    for resource in Resource.objects.filter(id__in=ids):
        keywords = [
            f"arXiv {resource.arxiv_id}" if resource.arxiv_id else "",
            *(f"#{tag}" for tag in resource.tags or []),
            resource.programming_language,
            resource.licence,
            in_every_language(KINDS.get(resource.kind)),
        ]
        documents[resource.id] = Document(
            object_id=resource.id,
            title=resource.title,
            body="\n".join(p for p in [resource.abstract, resource.description] if p),
            keywords=" ".join([resource.paper_authors, *keywords]),
            created_at=resource.created_at,
            author_id=resource.added_by_id,
        )
    return documents


def resource_visibility(viewer, access) -> Visibility:
    return Visibility(joins=f" JOIN {Resource._meta.db_table} lr ON lr.id = d.object_id")


def _arxiv(resource: Resource) -> str:
    return f"arXiv:{resource.arxiv_id}" if resource.arxiv_id else ""


def resource_cards(ids: list[int], viewer) -> dict[int, Card]:
    resources = Resource.objects.select_related("added_by").in_bulk(ids)
    return {
        r.id: Card(
            url=r.get_absolute_url(),
            title=r.title,
            created_at=r.created_at,
            author=r.added_by,
            details=[d for d in [r.get_kind_display(), r.paper_authors, _arxiv(r)] if d],
        )
        for r in resources.values()
    }


register_kind(
    SearchKind(
        name=ARTICLE,
        documents=article_documents,
        all_ids=lambda: published_articles().values_list("id", flat=True),
        visibility=article_visibility,
        label=_("Articles and tutorials"),
        noun=_("Article"),
        order=60,
        cards=article_cards,
    )
)
register_kind(
    SearchKind(
        name=RESOURCE,
        documents=resource_documents,
        all_ids=lambda: Resource.objects.values_list("id", flat=True),
        visibility=resource_visibility,
        label=_("Resources"),
        noun=_("Resource"),
        order=70,
        cards=resource_cards,
    )
)
follow(Article, ARTICLE)
follow(Resource, RESOURCE)
