from datetime import timedelta

import pytest
from django.utils import timezone

from agora.conftest import make_member
from agora.forum import services
from agora.forum.models import Draft, Post, Topic


def seed_topics(author, category, n):
    return [
        services.create_topic(
            author=author, category=category, title=f"Topic number {i:03d}", raw=f"Body {i}"
        )
        for i in range(n)
    ]


def seed_long_topic(author, category, posts):
    """A topic with many posts, written directly (faster than the service, same shape)."""
    topic = services.create_topic(
        author=author, category=category, title="A very long thread", raw="First"
    )
    others = [make_member(f"writer{i}") for i in range(5)]
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            topic=topic,
            number=n,
            author=others[n % 5],
            raw=f"Post {n}",
            html=f"<p>Post {n}</p>",
            created_at=now,
        )
        for n in range(2, posts + 1)
    )
    Topic.objects.filter(pk=topic.pk).update(highest_post_number=posts, post_count=posts)
    topic.refresh_from_db()
    return topic


@pytest.mark.django_db
def test_topic_page_queries_do_not_grow_with_posts(
    alice, bob, lounge, client, django_assert_num_queries
):
    topic = seed_long_topic(alice, lounge, 200)
    client.force_login(bob)
    client.get("/")  # the day's first request also records the visit
    with django_assert_num_queries(15):  # a first visit: the read position is created
        response = client.get(topic.get_absolute_url() + "?page=10")
    body = response.content.decode()
    assert "Post 200" in body and "Post 181" in body and "Post 180" not in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/", 17),  # the home page: topics plus one query per strip of what is alive
        ("/latest/", 10),
        ("/categories/", 6),
        ("/top/?period=all", 9),
        ("/new/", 9),
        ("/unread/", 8),
        ("/c/lounge/", 10),
    ],
)
def test_lists_cost_a_constant_number_of_queries(
    alice, bob, lounge, client, django_assert_num_queries, url, queries
):
    seed_topics(alice, lounge, 40)
    client.force_login(bob)
    client.get("/")  # the day's first request also records the visit
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_latest_pages_with_a_cursor_and_htmx_fragment(alice, lounge, client):
    seed_topics(alice, lounge, 35)
    first = client.get("/latest/")
    body = first.content.decode()
    assert (
        "Topic number 034" in body and "Topic number 005" in body and "Topic number 004" not in body
    )
    more = client.get(f"/latest/?cursor={first.context['next_cursor']}", HTTP_HX_REQUEST="true")
    fragment = more.content.decode()
    assert "<html" not in fragment
    assert "Topic number 004" in fragment and "Topic number 000" in fragment
    assert client.get("/latest/?cursor=garbage!!").status_code == 200


@pytest.mark.django_db
def test_new_and_unread_follow_what_the_member_read(alice, bob, lounge, client):
    topic = services.create_topic(
        author=alice, category=lounge, title="Fresh discussion", raw="Hello all"
    )
    client.force_login(bob)
    assert "Fresh discussion" in client.get("/new/").content.decode()
    client.get(topic.get_absolute_url())
    assert "Fresh discussion" not in client.get("/new/").content.decode()
    assert "Fresh discussion" not in client.get("/unread/").content.decode()
    services.create_post(author=alice, topic=topic, raw="A second post arrives")
    assert "Fresh discussion" in client.get("/unread/").content.decode()
    # Opening the topic jumps to the first unread post.
    response = client.get(topic.get_absolute_url())
    assert response.status_code == 302 and response["Location"] == topic.get_post_url(2)
    client.get(response["Location"])
    assert "Fresh discussion" not in client.get("/unread/").content.decode()


@pytest.mark.django_db
def test_top_lists_by_period(alice, bob, lounge, client):
    old, recent = seed_topics(alice, lounge, 2)
    Topic.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=40), like_count=9
    )
    week = client.get("/top/?period=week").content.decode()
    assert recent.title in week and old.title not in week
    assert old.title in client.get("/top/?period=year").content.decode()


@pytest.mark.django_db
def test_tag_page_and_suggestions(alice, lounge, client):
    services.create_topic(
        author=alice, category=lounge, title="Tagged topic here", raw="Body", tags=["diffusion"]
    )
    assert "Tagged topic here" in client.get("/tag/diffusion/").content.decode()
    assert client.get("/tag/nope/").status_code == 404
    assert client.get("/tags/suggest/?q=dif").json() == {
        "tags": [{"name": "diffusion", "topics": 1}]
    }


@pytest.mark.django_db
def test_preview_renders_like_the_saved_post(alice, client):
    raw = {"raw": "**bold** $x^2$ <script>x</script>"}
    anonymous = client.post("/composer/preview/", raw)
    assert anonymous.status_code == 302 and "<strong>" not in anonymous.content.decode()
    client.force_login(alice)
    html = client.post("/composer/preview/", raw).content.decode()
    assert "<strong>bold</strong>" in html and "<math" in html and "<script>" not in html


@pytest.mark.django_db
def test_drafts_are_saved_restored_and_cleared_on_post(alice, lounge, client):
    client.force_login(alice)
    assert (
        client.post(
            "/composer/draft/", {"key": "new-topic", "title": "Half a title", "raw": "Half written"}
        ).status_code
        == 200
    )
    page = client.get("/new-topic/").content.decode()
    assert "Half a title" in page and "Half written" in page
    assert client.post("/composer/draft/", {"key": "../../etc", "raw": "x"}).status_code == 400
    client.post(
        "/new-topic/",
        {"title": "Half a title, finished", "category": lounge.id, "raw": "Now complete"},
    )
    assert not Draft.objects.exists()


@pytest.mark.django_db
def test_private_messages_are_seen_by_participants_only(alice, bob, charlie, client):
    client.force_login(alice)
    response = client.post(
        "/messages/new/", {"recipients": "bob", "title": "Let us collaborate", "raw": "Interested?"}
    )
    topic = Topic.objects.get()
    assert response["Location"] == topic.get_absolute_url()
    assert topic.is_private
    client.force_login(bob)
    assert "Let us collaborate" in client.get("/messages/").content.decode()
    assert client.get(topic.get_absolute_url()).status_code == 200
    client.force_login(charlie)
    assert client.get(topic.get_absolute_url()).status_code == 404
    assert "Let us collaborate" not in client.get("/latest/").content.decode()
    bad = client.post(
        "/messages/new/", {"recipients": "nobody", "title": "Hello there", "raw": "Hi"}
    )
    assert bad.status_code == 400 and "No such member: nobody" in bad.content.decode()


@pytest.mark.django_db
def test_category_colours_come_from_a_stylesheet(lounge, client):
    css = client.get("/categories.css").content.decode()
    assert f".cat-{lounge.id}{{--cat-color:#7c3aed}}" in css


@pytest.mark.django_db
def test_feeds_show_only_public_topics(alice, bob, lounge, secret, client):
    services.create_topic(
        author=alice,
        category=lounge,
        title="Public news item",
        raw="Hello **world**",
        tags=["news"],
    )
    services.create_topic(author=bob, category=secret, title="Secret plans here", raw="Hidden")
    for url in ("/latest.rss", "/latest.atom", "/c/lounge.rss", "/tag/news.atom"):
        body = client.get(url).content.decode()
        assert "Public news item" in body and "Secret plans here" not in body, url
    assert client.get("/c/secret.rss").status_code == 404
    topic = Topic.objects.get(title="Public news item")
    services.create_post(author=bob, topic=topic, raw="A reply in the feed")
    assert "A reply in the feed" in client.get(f"/t/{topic.id}.rss").content.decode()
    assert (
        client.get(f"/t/{Topic.objects.get(title='Secret plans here').id}.rss").status_code == 404
    )


@pytest.mark.django_db
def test_profile_shows_activity_the_viewer_may_see(alice, bob, lounge, secret, client):
    services.create_topic(
        author=bob, category=lounge, title="Bob's public topic", raw="Hello there"
    )
    services.create_topic(author=bob, category=secret, title="Bob's secret topic", raw="Psst")
    client.force_login(alice)
    body = client.get("/u/bob/").content.decode()
    assert "Bob&#x27;s public topic" in body and "secret topic" not in body
    assert "Trust level 2" in body


@pytest.mark.django_db
def test_pinned_topics_show_once_on_top(alice, staff, lounge, client):
    topics = seed_topics(alice, lounge, 3)
    services.set_topic_state(actor=staff, topic=topics[0], pinned_globally=True)
    for url in ("/", "/latest/", "/c/lounge/"):
        body = client.get(url).content.decode()
        if url == "/":  # the latest topics' table (the trending strip beside it lists them too)
            body = body[body.index('id="latest-heading"') :]
            body = body[: body.index("</table>")]
        assert body.count(topics[0].title) == 1, url
        assert body.index(topics[0].title) < body.index(topics[2].title), url


@pytest.mark.django_db
def test_category_index_shows_the_three_latest_visible_topics_of_each(
    alice, bob, lounge, qa, secret, client, django_assert_max_num_queries
):
    from agora.forum.models import Category

    child = Category.objects.create(slug="lounge-games", name="Games", parent=lounge)
    topics = seed_topics(alice, lounge, 5)
    start = timezone.now() - timedelta(days=10)
    for i, topic in enumerate(topics):  # Topic number 004 is the newest
        Topic.objects.filter(pk=topic.pk).update(bumped_at=start + timedelta(hours=i))
    Topic.objects.filter(pk=topics[4].pk).update(deleted_at=timezone.now())
    services.create_topic(author=alice, category=child, title="Child category topic", raw="Body")
    services.create_topic(author=bob, category=secret, title="Insiders only index", raw="Body")
    client.force_login(alice)
    client.get("/")  # the day's first request also records the visit
    with django_assert_max_num_queries(8):
        page = client.get("/categories/").content.decode()
    lounge_card = page.split('class="category-card cat-')[1]
    assert "Topic number 003" in lounge_card and "Topic number 001" in lounge_card
    assert lounge_card.index("Topic number 003") < lounge_card.index("Topic number 001")
    assert "Topic number 000" not in lounge_card and "Topic number 004" not in lounge_card
    assert "Child category topic" not in page and "Games" in lounge_card
    assert "No topics yet." in page  # the Q&A category
    assert "Insiders only index" not in page
    client.force_login(bob)
    assert "Insiders only index" in client.get("/categories/").content.decode()


def _shown(topics) -> list[tuple]:
    columns = ("id", "title", "category_id", "bumped_at", "tag_names", "unread_posts")
    columns += ("post_count", "view_count", "closed")
    return [
        (*[getattr(t, c) for c in columns], getattr(t, "viewer_last_read", "unset")) for t in topics
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["visitor", "alice", "bob", "staff"])
def test_list_rows_read_as_sql_match_the_orm_read(
    who, alice, bob, staff, lounge, qa, secret, request
):
    """The list pages read their rows as plain SQL (`authors=False`); the feeds and the API read
    the same topics through the ORM (`authors=True`): both must give the same rows, pages and
    cursors, for every viewer (private categories, read positions, pinned, tags, exclusions)."""
    from django.contrib.auth.models import AnonymousUser

    from agora.forum import permissions, selectors

    seed_topics(alice, lounge, 4)
    services.create_topic(
        author=alice, category=qa, title="Tagged question", raw="Body", tags=["sdxl", "lora"]
    )
    services.create_topic(author=bob, category=secret, title="Insiders only here", raw="Body")
    pinned = [
        services.create_topic(author=alice, category=qa, title=f"Pinned {i}", raw=f"Pinned {i}")
        for i in range(2)
    ]
    services.set_topic_state(actor=staff, topic=pinned[0], pinned_globally=True)
    services.set_topic_state(actor=staff, topic=pinned[1], pinned_in_category=True)
    services.create_post(
        author=alice, topic=Topic.objects.get(title="Topic number 001"), raw="Reply"
    )
    viewer = AnonymousUser() if who == "visitor" else request.getfixturevalue(who)
    if viewer.is_authenticated:
        selectors.topic_posts(topic=pinned[0], viewer=viewer, page=1)
        services.record_read(
            user=viewer, topic=Topic.objects.get(title="Topic number 001"), up_to=1
        )
    access = permissions.category_access_for(viewer)
    for category in (None, qa, lounge):
        rows = selectors.pinned_topics(
            viewer=viewer, access=access, category=category, authors=False
        )
        models = selectors.pinned_topics(viewer=viewer, access=access, category=category)
        assert _shown(rows) == _shown(models)
        exclude = [t.id for t in rows]
        cursor = None
        for _page in range(4):
            kwargs = {"viewer": viewer, "access": access, "category": category, "limit": 2}
            sql = selectors.latest_topics(
                **kwargs, cursor=cursor, exclude_ids=exclude, authors=False
            )
            orm = selectors.latest_topics(**kwargs, cursor=cursor, exclude_ids=exclude)
            assert _shown(sql.topics) == _shown(orm.topics)
            assert sql.next_cursor == orm.next_cursor
            cursor = sql.next_cursor
            if cursor is None:
                break
    from agora.forum.models import Tag

    tag = Tag.objects.get(name="sdxl")
    sql = selectors.latest_topics(viewer=viewer, access=access, tag=tag, authors=False)
    assert _shown(sql.topics) == _shown(
        selectors.latest_topics(viewer=viewer, access=access, tag=tag).topics
    )


@pytest.mark.django_db
def test_kept_rows_follow_every_change_they_show(alice, staff, lounge, client):
    """A topic row is kept rendered per process under a key of everything it shows: a new
    title, a view, a reply, a pin or a renamed category shows at once."""
    topic = seed_topics(alice, lounge, 1)[0]
    assert "Topic number 000" in client.get("/latest/").content.decode()
    Topic.objects.filter(pk=topic.pk).update(title="A renamed topic", view_count=12345)
    body = client.get("/latest/").content.decode()
    assert "A renamed topic" in body and "12,345" in body and "Topic number 000" not in body
    lounge.name = "Tea room"
    lounge.save()
    assert "Tea room" in client.get("/latest/").content.decode()
    services.set_topic_state(actor=staff, topic=topic, closed=True)
    assert 'class="lock"' in client.get("/latest/").content.decode()


@pytest.mark.django_db
def test_list_rows_write_the_last_activity_as_a_time_in_the_readers_zone(alice, lounge, client):
    """A row shows its last activity as a date and time in the reader's zone (what a reader
    without scripts sees; the browser says it relative to now), never "… ago" worked out on the
    server, so a kept row is the same row tomorrow."""
    from zoneinfo import ZoneInfo

    topic = seed_topics(alice, lounge, 1)[0]
    bumped = timezone.now() - timedelta(days=3)
    Topic.objects.filter(pk=topic.pk).update(bumped_at=bumped)
    client.cookies["agora_tz"] = "Asia/Shanghai"
    local = bumped.astimezone(ZoneInfo("Asia/Shanghai"))
    written = local.strftime("%Y-%m-%d %H:%M")
    for url in ["/latest/", f"/c/{lounge.slug}/", "/top/?period=all"]:
        body = client.get(url).content.decode()
        assert (
            f'<time datetime="{local.isoformat(timespec="seconds")}" title="{written}" '
            f"data-relative>{written}</time>"
        ) in body, url
        assert "days ago" not in body
