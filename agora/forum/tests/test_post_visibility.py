"""The one rule for a post's text (permissions.can_read_post_text / readable_posts_q) on each
output path that leaked before: edit history, feeds, the topic page's source, bookmarks, and
tags used only where a viewer cannot see."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agora.api.tokens import create_token
from agora.forum import permissions, selectors
from agora.forum.models import Post, Topic
from agora.forum.services import create_post, create_topic, delete_post, edit_post, toggle_bookmark
from agora.moderation.services import flag_post


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def hidden_first(alice, staff, lounge) -> Post:
    """A topic whose first post was edited, then hidden by a staff flag."""
    topic = create_topic(
        author=alice,
        category=lounge,
        title="Cheap prompts for sale",
        raw="A plain first text.",
        tags=["prompts"],
    )
    first = edit_post(editor=alice, post=topic.posts.get(number=1), raw="Spam spamword spam.")
    flag_post(user=staff, post=first, reason="spam")
    return Post.objects.get(pk=first.pk)


def test_the_edit_history_of_a_hidden_post_is_its_author_and_staffs_alone(
    hidden_first, alice, bob, staff
):
    url = reverse("forum:revisions", kwargs={"post_id": hidden_first.id})
    for user in (None, bob):
        assert _client(user).get(url).status_code == 404
    for user in (alice, staff):
        response = _client(user).get(url)
        assert response.status_code == 200 and "spamword" in response.content.decode()


def test_the_edit_history_of_a_deleted_post_is_staffs_alone(alice, bob, staff, lounge):
    topic = create_topic(author=bob, category=lounge, title="A topic to reply to", raw="Hello.")
    reply = create_post(author=alice, topic=topic, raw="A first version of my reply.")
    reply = edit_post(editor=alice, post=reply, raw="Regretword in a second version.")
    delete_post(actor=alice, post=reply)
    url = reverse("forum:revisions", kwargs={"post_id": reply.id})
    assert _client(alice).get(url).status_code == 404  # deleted: not even its author
    assert "Regretword" in _client(staff).get(url).content.decode()


def test_feeds_list_a_topic_with_a_hidden_first_post_without_its_text(hidden_first):
    anonymous = _client()
    topic_feed = reverse("forum:feed_topic", kwargs={"topic_id": hidden_first.topic_id})
    for url in ["/latest.rss", "/latest.atom", "/c/lounge.rss", "/tag/prompts.atom", topic_feed]:
        body = anonymous.get(url).content.decode()
        assert "spamword" not in body, url
    assert "Cheap prompts for sale" in anonymous.get("/latest.rss").content.decode()


def test_the_topic_page_sends_the_source_of_a_post_only_to_who_may_read_it(
    alice, bob, staff, lounge
):
    topic = create_topic(author=bob, category=lounge, title="Samplers again", raw="Hello all.")
    hidden = create_post(author=alice, topic=topic, raw="Hiddenword offer, buy now.")
    flag_post(user=staff, post=hidden, reason="spam")
    deleted = create_post(author=alice, topic=topic, raw="Deletedword thought.")
    delete_post(actor=alice, post=deleted)
    url = topic.get_absolute_url()
    for user in (None, bob):
        page = _client(user).get(url).content.decode()
        assert "Hiddenword" not in page and "Deletedword" not in page
    page = _client(alice).get(url).content.decode()
    assert "Hiddenword" in page and "Deletedword" not in page
    page = _client(staff).get(url).content.decode()
    assert "Hiddenword" in page and "Deletedword" in page


def test_bookmarks_leave_out_posts_of_a_deleted_topic(alice, bob, lounge):
    topic = create_topic(author=alice, category=lounge, title="Soon gone topic", raw="Hello.")
    reply = create_post(author=bob, topic=topic, raw="Bookmarkword reply worth keeping.")
    toggle_bookmark(user=alice, post=reply)
    raw_token = create_token(user=alice, name="t", scopes=["read"])[1]
    client, api = _client(alice), Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}"}
    assert "Soon gone topic" in client.get("/bookmarks/").content.decode()
    assert "Bookmarkword" in api.get("/api/v1/bookmarks", **headers).content.decode()
    delete_post(actor=alice, post=topic.posts.get(number=1))
    assert Topic.objects.get(pk=topic.pk).deleted_at is not None
    assert "Soon gone topic" not in client.get("/bookmarks/").content.decode()
    response = api.get("/api/v1/bookmarks", **headers)
    assert response.status_code == 200 and "Bookmarkword" not in response.content.decode()


def test_the_rule_and_its_filter_agree(alice, bob, charlie, staff, lounge, secret):
    """can_read_post and readable_posts_q give the same answer for every post and persona."""
    from agora.forum.services import create_private_topic

    topic = create_topic(author=alice, category=lounge, title="Public topic here", raw="Hi.")
    create_post(author=bob, topic=topic, raw="A plain reply.")
    hidden = create_post(author=alice, topic=topic, raw="A hidden reply.")
    flag_post(user=staff, post=hidden, reason="spam")
    gone = create_post(author=alice, topic=topic, raw="A deleted reply.")
    delete_post(actor=alice, post=gone)
    create_topic(author=bob, category=secret, title="Secret topic here", raw="Insiders.")
    create_private_topic(author=alice, recipients=[bob], title="Between us two", raw="Psst.")
    doomed = create_topic(author=alice, category=lounge, title="Deleted topic here", raw="Bye.")
    create_post(author=bob, topic=doomed, raw="A reply in a deleted topic.")
    delete_post(actor=alice, post=doomed.posts.get(number=1))
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), alice, bob, charlie, staff):
        access = permissions.category_access_for(user)
        by_rule = {
            p.id
            for p in Post.objects.select_related("topic")
            if permissions.can_read_post(user, p, access)
        }
        by_filter = set(
            selectors.readable_posts(viewer=user, access=access).values_list("id", flat=True)
        )
        assert by_rule == by_filter, user
        categories = {c.id for c in access.visible_categories()}
        by_q = set(
            type(lounge)
            .objects.filter(permissions.visible_category_q(user))
            .values_list("id", flat=True)
        )
        assert categories == by_q, user


def test_tags_used_only_where_the_viewer_cannot_see_are_not_listed(
    alice, bob, charlie, lounge, secret, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_topic(
            author=bob,
            category=secret,
            title="Insider roadmap",
            raw="Plans.",
            tags=["roadmapx", "shared"],
        )
        create_topic(
            author=alice, category=lounge, title="Public samplers", raw="Hello.", tags=["shared"]
        )
    outsider, insider = _client(charlie), _client(bob)
    page = outsider.get("/tags/").content.decode()
    assert "roadmapx" not in page and "#shared</a> <small>× 1<" in page
    page = insider.get("/tags/").content.decode()
    assert "roadmapx" in page and "#shared</a> <small>× 2<" in page
    assert outsider.get("/tags/suggest/", {"q": "road"}).json() == {"tags": []}
    assert insider.get("/tags/suggest/", {"q": "road"}).json()["tags"][0]["topics"] == 1
    raw = create_token(user=charlie, name="t", scopes=["read"])[1]
    api = Client().get("/api/v1/tags", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert api == [{"name": "shared", "description": "", "topic_count": 1}]
    assert Client().get("/api/v1/tags", {"prefix": "road"}).json() == []
    found = outsider.get("/search/", {"q": "roadmapx", "kind": "tags"}).content.decode()
    assert "#roadmapx" not in found
    found = insider.get("/search/", {"q": "roadmapx", "kind": "tags"}).content.decode()
    assert "#roadmapx" in found
