"""Writes to the search index. Every function takes ids and is safe to run twice: it reads the
committed objects and makes their documents match (creating, updating or removing them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from django.db import connection, transaction

from agora.forum.models import Post
from agora.search import segment
from agora.search.kinds import POST
from agora.search.models import SearchDocument
from agora.search.registry import KINDS, Document, get_kind
from agora.search.selectors import forget_related

BODY_LIMIT = 20_000  # characters of a document's text that are indexed and kept for snippets
BATCH = 500


def _row(kind: str, doc: Document) -> SearchDocument:
    body = doc.body[:BODY_LIMIT]
    return SearchDocument(
        kind=kind,
        object_id=doc.object_id,
        topic_id=doc.topic_id,
        category_id=doc.category_id,
        is_private=doc.is_private,
        author_id=doc.author_id,
        title=doc.title[:300],
        body=body,
        title_text=segment.for_index(doc.title) if doc.title_weighted else "",
        body_text=segment.for_index(f"{body}\n{doc.keywords}" if doc.keywords else body),
        created_at=doc.created_at,
    )


FIELDS = [
    "topic_id",
    "category_id",
    "is_private",
    "author_id",
    "title",
    "body",
    "title_text",
    "body_text",
    "created_at",
]


@transaction.atomic
def index_objects(*, kind: str, object_ids: Iterable[int]) -> int:
    """Bring the documents of these objects up to date; returns how many are searchable."""
    ids = sorted(set(object_ids))
    if not ids:
        return 0
    documents = get_kind(kind).documents(ids)
    SearchDocument.objects.filter(kind=kind, object_id__in=ids).exclude(
        object_id__in=list(documents)
    ).delete()
    existing = {
        row.object_id: row
        for row in SearchDocument.objects.filter(kind=kind, object_id__in=list(documents))
    }
    created, changed = [], []
    for object_id, doc in documents.items():
        row = _row(kind, doc)
        current = existing.get(object_id)
        if current is None:
            created.append(row)
        elif any(getattr(current, f) != getattr(row, f) for f in FIELDS):
            row.pk = current.pk
            changed.append(row)
    # One INSERT and one UPDATE per batch (the FTS5 triggers still run per row; PostgreSQL
    # recomputes the generated tsvector of each updated row).
    SearchDocument.objects.bulk_create(created, batch_size=BATCH)
    SearchDocument.objects.bulk_update(changed, FIELDS, batch_size=100)
    forget_related()
    return len(documents)


def index_post(*, post_id: int) -> int:
    return index_objects(kind=POST, object_ids=[post_id])


def index_topic(*, topic_id: int) -> int:
    """All posts of a topic: after a move, a title change, or its first post deleted/restored."""
    ids = list(Post.objects.filter(topic_id=topic_id).values_list("id", flat=True))
    return index_objects(kind=POST, object_ids=ids)


def _optimize() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("INSERT INTO search_fts(search_fts) VALUES('optimize')")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE search_searchdocument")


def rebuild(*, kinds: Iterable[str] | None = None, out: TextIO | None = None) -> dict[str, int]:
    """Drop and rebuild the documents of these kinds (all by default), in batches."""
    counts: dict[str, int] = {}
    for name in kinds or list(KINDS):
        kind = get_kind(name)
        with transaction.atomic():
            SearchDocument.objects.filter(kind=name).delete()
            ids = list(kind.all_ids())
            total = 0
            for start in range(0, len(ids), BATCH):
                documents = kind.documents(ids[start : start + BATCH])
                SearchDocument.objects.bulk_create([_row(name, d) for d in documents.values()])
                total += len(documents)
        counts[name] = total
        forget_related()
        if out is not None:
            out.write(f"search: indexed {total} {name} documents\n")
    _optimize()
    return counts
