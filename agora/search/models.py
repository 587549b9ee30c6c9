"""One row per searchable thing (a post, a member, a tag, later a work or a model), holding its
segmented text. The full-text index over it is backend-specific and lives in migration 0002:
an FTS5 table kept in sync by triggers on SQLite, a generated tsvector with a GIN index on
PostgreSQL."""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    topic_id = models.PositiveBigIntegerField(null=True, blank=True)
    category_id = models.PositiveBigIntegerField(null=True, blank=True)
    is_private = models.BooleanField(default=False)
    author_id = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)  # plain, for display
    body = models.TextField(blank=True)  # plain, for snippets (never rendered as HTML)
    title_text = models.TextField(blank=True)  # segmented
    body_text = models.TextField(blank=True)  # segmented
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_doc_unique")
        ]
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="search_doc_kind_created"),
            models.Index(fields=["topic_id"], name="search_doc_topic"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
