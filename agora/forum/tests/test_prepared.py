"""Prepared queries give what their querysets give, for every set of values."""

from __future__ import annotations

import pytest

from agora.forum import prepared, services
from agora.forum.models import Topic


def _titles(values):
    return Topic.objects.filter(category_id=values[0], author_id=values[1]).order_by("id")


@pytest.mark.django_db
def test_prepared_rows_follow_their_values(alice, bob, lounge, qa, django_assert_num_queries):
    for author, category, title in [
        (alice, lounge, "Alice in the lounge"),
        (bob, lounge, "Bob in the lounge"),
        (alice, qa, "Alice asks a question"),
    ]:
        services.create_topic(author=author, category=category, title=title, raw=f"About {title}")
    key = ("test-titles",)
    for category, author, expected in [
        (lounge, alice, ["Alice in the lounge"]),
        (lounge, bob, ["Bob in the lounge"]),
        (qa, alice, ["Alice asks a question"]),
        (qa, bob, []),
    ]:
        with django_assert_num_queries(1):
            rows = prepared.prepared_rows(
                key, lambda v: _titles(v).values_list("title"), [category.id, author.id]
            )
        assert [title for (title,) in rows] == expected
    topics = prepared.prepared_instances(Topic, ("test-topics",), _titles, [lounge.id, bob.id])
    assert [t.title for t in topics] == ["Bob in the lounge"]
    assert topics[0].created_at.tzinfo is not None  # converted as the ORM does
    topics[0].title = "Bob renamed it"
    topics[0].save(update_fields=["title"])  # a loaded instance, saved as an update
    assert Topic.objects.filter(title="Bob renamed it").count() == 1


@pytest.mark.django_db
def test_a_transformed_value_falls_back_to_the_queryset(alice, lounge):
    services.create_topic(author=alice, category=lounge, title="Samplers compared", raw="Body")
    build = lambda v: Topic.objects.filter(title__icontains=v[0]).values_list("title")  # noqa: E731
    for word, expected in [("SAMPLERS", ["Samplers compared"]), ("nothing", [])]:
        assert [t for (t,) in prepared.prepared_rows(("test-like",), build, [word])] == expected
