"""Counts kept on rows (likes on a post, stars on a model) that a member's marks add to."""

from __future__ import annotations

from django.db.models import Count, F, Model, QuerySet


def withdraw_marks(marks: QuerySet, *, target: str, counted: type[Model], field: str) -> int:
    """Take a member's marks (likes, stars, ...) back out of the counts they were added to:
    `marks` are the member's rows, `target` their foreign key to the counted model, `field` the
    count on it. One update per counted row; the marks themselves are left to the caller."""
    rows = list(marks.values(target).annotate(n=Count("pk")).values_list(target, "n"))
    for target_id, n in rows:
        counted.objects.filter(pk=target_id).update(**{field: F(field) - n})
    return sum(n for _id, n in rows)
