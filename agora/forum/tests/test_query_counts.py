"""Every main forum page costs an exact number of SQL queries for each kind of viewer, whatever
the number of topics and posts: a page that starts costing one more query per row (or per page)
fails here, as in Zulip's `assert_database_query_count`."""

from __future__ import annotations

import pytest
from django.test import Client

from agora.forum import services
from agora.forum.tests.test_lists import seed_long_topic, seed_topics

# (page, persona) -> queries. A visitor's topic page: categories, topic, posts, tags, view count.
# A member's pages add the session, the member, group access, the bell count and the New/Unread
# counts (lists) or the read position, its update and the reply draft (topic page); staff skip
# the group-access query.
EXPECTED = {
    ("topic", "anonymous"): 5,
    ("topic", "member"): 11,
    ("topic", "staff"): 10,
    ("latest", "anonymous"): 4,
    ("latest", "member"): 10,
    ("latest", "staff"): 9,
    ("category", "anonymous"): 4,
    ("category", "member"): 10,
    ("category", "staff"): 9,
    ("categories", "anonymous"): 2,
    ("categories", "member"): 6,
    ("categories", "staff"): 5,
    ("new", "anonymous"): 3,
    ("new", "member"): 9,
    ("unread", "member"): 8,
}


@pytest.fixture
def busy_forum(alice, bob, lounge, qa):
    seed_topics(alice, lounge, 35)
    seed_topics(bob, qa, 3)
    long_topic = seed_long_topic(alice, lounge, 45)
    services.create_post(author=bob, topic=long_topic, raw="A reply from bob")
    return {
        "topic": long_topic.get_absolute_url() + "?page=2",
        "latest": "/latest/",
        "category": "/c/lounge/",
        "categories": "/categories/",
        "new": "/new/",
        "unread": "/unread/",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(("page", "persona"), list(EXPECTED))
def test_each_main_page_costs_an_exact_number_of_queries(
    busy_forum, page, persona, bob, staff, django_assert_num_queries
):
    client = Client()
    if persona != "anonymous":
        client.force_login(bob if persona == "member" else staff)
    client.get("/")  # the day's first request also records the visit
    client.get(busy_forum[page])  # the first view of a topic also creates the read position
    with django_assert_num_queries(EXPECTED[page, persona]):
        response = client.get(busy_forum[page])
    assert response.status_code == 200
