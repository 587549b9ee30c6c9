"""The topic page reads its posts as light rows (selectors.topic_posts): what a reader sees must
be what the model instances gave through the same template."""

from __future__ import annotations

import pytest
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone, translation

from agora.forum import permissions, selectors, services
from agora.forum.models import Bookmark, Like, Post, Topic
from agora.moderation.models import Flag


def _instances(topic: Topic, viewer) -> list[Post]:
    """The page's posts as model instances, as the selector read them before."""
    queryset = (
        Post.objects.filter(topic=topic, number__lte=selectors.POSTS_PER_PAGE)
        .select_related("author", "reply_to__author")
        .order_by("number")
    )
    if viewer is not None and viewer.is_authenticated:
        queryset = queryset.annotate(
            viewer_liked=Exists(Like.objects.filter(post=OuterRef("pk"), user=viewer)),
            viewer_bookmarked=Exists(Bookmark.objects.filter(post=OuterRef("pk"), user=viewer)),
        )
    return list(queryset)


@pytest.fixture
def busy_topic(alice, bob, charlie, staff, lounge):
    topic = services.create_topic(
        author=alice, category=lounge, title="Samplers <compared>", raw="First *post*"
    )
    first = topic.posts.get()
    second = services.create_post(author=bob, topic=topic, raw="A reply to alice", reply_to=first)
    third = services.create_post(author=charlie, topic=topic, raw="Quoting bob", reply_to=second)
    services.create_post(author=alice, topic=topic, raw="Alice again & <b>escaped</b>")
    gone = services.create_post(author=charlie, topic=topic, raw="Regret")
    services.delete_post(actor=staff, post=gone)
    Post.objects.filter(pk=third.pk).update(hidden=True)
    services.like_post(user=bob, post=first)
    services.like_post(user=charlie, post=first)
    services.toggle_bookmark(user=bob, post=third)
    User = type(alice)
    User.objects.filter(pk=bob.pk).update(avatar="avatars/2/bob.png")
    topic.refresh_from_db()
    return topic


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "alice", "bob", "charlie", "staff"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rows_render_as_the_model_instances_did(busy_topic, who, language, request):
    from django.contrib.auth.models import AnonymousUser

    viewer = AnonymousUser() if who == "visitor" else request.getfixturevalue(who)
    rows, pages = selectors.topic_posts(topic=busy_topic, viewer=viewer, page=1)
    assert pages == 1 and [r.number for r in rows] == [1, 2, 3, 4, 5]
    instances = _instances(busy_topic, viewer)
    can_reply = who != "visitor"
    for post in [*rows, *instances]:
        post.rights = permissions.post_rights(viewer, busy_topic, post, can_reply=can_reply)
    context = {
        "topic": busy_topic,
        "topic_url": busy_topic.get_absolute_url(),
        "user": viewer,
        "target_number": 2,
        "flag_reasons": Flag.Reason.choices,
        "csrf_token": "fixed-token",
    }

    def page(posts) -> str:
        return "".join(
            render_to_string("forum/posts.html", {**context, "posts": [post]}) for post in posts
        )

    with translation.override(language), timezone.override("Asia/Shanghai"):
        assert page(rows) == page(instances)


@pytest.mark.django_db
def test_topic_page_shows_likes_bookmarks_replies_and_avatars(busy_topic, bob, client):
    client.force_login(bob)
    page = client.get(busy_topic.get_absolute_url() + "?page=1").content.decode()
    first, second, third = (page.split(f'id="post-{n}"')[1] for n in (1, 2, 3))
    assert 'class="icon-button active" aria-pressed="true"' in first.split("</form>")[0]
    assert '<span class="like-count">2</span>' in first
    assert "🔖 Bookmarked" in third.split("</article>")[0]
    assert "↪ Alice Martin" in second.split("</header>")[0]
    assert '<img class="avatar avatar-md" src="/media/avatars/2/bob.png"' in second
    assert "Samplers &lt;compared&gt;" in page


@pytest.mark.django_db
def test_layout_follows_language_member_and_settings(alice, staff, lounge, client):
    topic = services.create_topic(author=alice, category=lounge, title="Layout check", raw="Body")
    url = topic.get_absolute_url()
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">Log in</a>" in english and "Skip to content" in english
    assert ">Log in</a>" not in chinese and 'lang="zh-hans"' in chinese
    with override_settings(AGORA_OPEN_SIGNUP=False):
        assert "Sign up" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign up" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    client.force_login(alice)
    member = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Alice Martin" in member and "Review queue" not in member and "Log out" in member
    client.force_login(staff)
    moderator = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Review queue" in moderator and "/u/moderator/" in moderator


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "bob"])
def test_the_page_sql_reads_what_the_orm_reference_reads(busy_topic, who, request):
    """The topic page runs `_POSTS_SQL` through the cursor; the queryset is its reference."""
    viewer_id = None if who == "visitor" else request.getfixturevalue(who).pk
    page = (busy_topic.id, 0, selectors.POSTS_PER_PAGE, viewer_id)
    flags = (12, 16, 17, 22, 23)  # hidden, is_staff, is_active, liked, bookmarked: 0/1 or bools

    def normalise(row) -> tuple:
        return tuple(bool(v) if i in flags else v for i, v in enumerate(row))

    rows = [normalise(row) for row in selectors._post_rows(*page)]
    assert len(rows) == 5
    assert rows == [normalise(row) for row in selectors._posts_queryset(*page)]
