"""Trending topics: the week's topics ranked by likes, replies and views with a time decay
(agora.core.trending), on /top/?period=trending and in the home page's strip."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from agora.core import trending
from agora.forum import services
from agora.forum.models import Topic


def topic(author, category, title, *, hours_ago=0, likes=0, replies=0, views=0):
    made = services.create_topic(author=author, category=category, title=title, raw=f"{title}.")
    when = timezone.now() - timedelta(hours=hours_ago)
    Topic.objects.filter(pk=made.pk).update(
        created_at=when, like_count=likes, post_count=replies + 1, view_count=views
    )
    services.rescore_topic(made.pk)
    return made


def order_on(page: str, *titles: str) -> list[str]:
    found = [(page.find(title), title) for title in titles if title in page]
    return [title for _pos, title in sorted(found)]


@pytest.mark.django_db
def test_a_fresh_busy_topic_outranks_an_older_busier_one_and_last_weeks_drop_out(
    client, alice, lounge
):
    # Ten times the activity is worth 12.5 hours: 30 likes two days ago lose to 10 this hour.
    topic(alice, lounge, "Sampler debate of two days ago", hours_ago=48, likes=30)
    topic(alice, lounge, "Fresh LoRA results", hours_ago=1, likes=8, replies=2)
    topic(alice, lounge, "Quiet new question", hours_ago=2)
    topic(alice, lounge, "Old famous thread", hours_ago=24 * 8, likes=500)
    page = client.get("/top/?period=trending").content.decode()
    assert order_on(
        page, "Sampler debate of two days ago", "Fresh LoRA results", "Quiet new question"
    ) == ["Fresh LoRA results", "Quiet new question", "Sampler debate of two days ago"]
    assert "Old famous thread" not in page  # older than a week
    # the most liked of the week still comes first on the plain "week" tab
    week = client.get("/top/?period=week").content.decode()
    assert order_on(week, "Sampler debate of two days ago", "Fresh LoRA results")[0] == (
        "Sampler debate of two days ago"
    )
    assert "Trending this week" in page


@pytest.mark.django_db
def test_likes_replies_and_views_move_a_topic_up(alice, bob, lounge):
    made = services.create_topic(author=alice, category=lounge, title="Moving up", raw="Hello.")
    made.refresh_from_db()
    assert made.trending_score == trending.score(0, made.created_at)
    services.create_post(author=bob, topic=made, raw="A reply that counts.")
    made.refresh_from_db()
    after_reply = made.trending_score
    assert after_reply == trending.score(1, made.created_at)
    services.like_post(user=bob, post=made.posts.get(number=1))
    made.refresh_from_db()
    assert made.trending_score == trending.score(2, made.created_at) > after_reply
    for _view in range(9):
        services.count_view(topic=made)
    made.refresh_from_db()
    assert made.trending_score == trending.score(2, made.created_at)  # not yet: every tenth
    services.count_view(topic=made)
    made.refresh_from_db()
    assert made.view_count == 10
    assert made.trending_score == trending.score(3, made.created_at)
    services.unlike_post(user=bob, post=made.posts.get(number=1))
    made.refresh_from_db()
    assert made.trending_score == trending.score(2, made.created_at)


@pytest.mark.django_db
def test_home_strip_shows_the_trending_topics_the_viewer_may_see(
    client, alice, bob, lounge, secret
):
    topic(alice, lounge, "Glowing fox prompts", hours_ago=1, likes=12, replies=3)
    topic(alice, lounge, "Calm corner", hours_ago=3)
    topic(bob, secret, "Insiders only plans", hours_ago=1, likes=50)
    page = client.get("/").content.decode()
    strip = page[page.index('id="trending-topics-heading"') :]
    strip = strip[: strip.index("</section>")]
    assert order_on(strip, "Glowing fox prompts", "Calm corner") == [
        "Glowing fox prompts",
        "Calm corner",
    ]
    assert "12 likes · 3 replies" in strip
    assert "Insiders only plans" not in page
    client.force_login(bob)
    page = client.get("/").content.decode()
    strip = page[page.index('id="trending-topics-heading"') :]
    assert order_on(strip, "Insiders only plans", "Glowing fox prompts")[0] == (
        "Insiders only plans"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", [None, "bob"])
def test_trending_list_costs_the_same_queries_as_the_top_list(
    client, alice, lounge, persona, request, django_assert_num_queries
):
    for i in range(12):
        topic(alice, lounge, f"Trending number {i:02d}", hours_ago=i, likes=i)
    if persona:
        client.force_login(request.getfixturevalue(persona))
    client.get("/")  # the day's first request also records the visit
    with django_assert_num_queries(3 if persona is None else 9):
        assert client.get("/top/?period=trending").status_code == 200
    with django_assert_num_queries(3 if persona is None else 9):
        assert client.get("/top/?period=all").status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
@pytest.mark.django_db
def test_trending_lists_read_their_index_in_order(alice, lounge):
    """The home page's trending strips walk topic_trending and labmodel_trending in order:
    no sort of the week's topics or of all models."""
    from agora.core.tests.test_paging import _plan
    from agora.forum import selectors
    from agora.forum.permissions import category_access_for
    from agora.lab.selectors import visible_models

    access = category_access_for(alice)
    strip = _plan(lambda: selectors.trending_topics(viewer=alice, access=access), "forum_topic")
    models = _plan(
        lambda: list(visible_models(alice).order_by("-trending_score", "-id")[:4]),
        "lab_labmodel",
    )
    assert "topic_trending" in strip and "TEMP B-TREE" not in strip, strip
    assert "labmodel_trending" in models and "TEMP B-TREE" not in models, models
