"""What text of a post a topic page sends: a deleted or flag-hidden post's text (rendered or as
Markdown source) never reaches a viewer the rules keep it from, on the page or its htmx
fragments; the Markdown source of a visible post goes only to viewers who may quote it."""

from __future__ import annotations

import pytest
from django.test import Client

from agora.forum import services
from agora.forum.models import Post

DELETED_CANARY = "canary-deleted-7f3a9c"
HIDDEN_CANARY = "canary-hidden-2b8e41"
VISIBLE_SOURCE = "visible **source** 5d1c"


@pytest.fixture
def guarded_topic(alice, bob, staff, lounge):
    topic = services.create_topic(
        author=alice, category=lounge, title="Canaries in the thread", raw=VISIBLE_SOURCE
    )
    deleted = services.create_post(author=alice, topic=topic, raw=f"Gone {DELETED_CANARY}")
    services.delete_post(actor=alice, post=deleted)
    hidden = services.create_post(author=alice, topic=topic, raw=f"Flagged {HIDDEN_CANARY}")
    Post.objects.filter(pk=hidden.pk).update(hidden=True)  # as the flags' threshold does
    services.create_post(author=bob, topic=topic, raw="A reply after them")
    topic.refresh_from_db()
    return {"topic": topic, "deleted": deleted, "hidden": hidden}


def _client(persona: str, request) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def _topic_pages(client: Client, topic, posts) -> str:
    urls = [
        topic.get_absolute_url(),
        topic.get_absolute_url() + "?page=1",
        topic.get_post_url(posts["deleted"].number),
        topic.get_post_url(posts["hidden"].number),
    ]
    bodies = [client.get(url, HTTP_HX_REQUEST="true").content.decode() for url in urls]
    bodies += [client.get(url).content.decode() for url in urls]
    return "\n".join(bodies)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "bob", "charlie"])
def test_deleted_and_hidden_text_never_reaches_readers_the_rules_exclude(
    guarded_topic, persona, request
):
    client = _client(persona, request)
    page = _topic_pages(client, guarded_topic["topic"], guarded_topic)
    assert "Canaries in the thread" in page and "A reply after them" in page
    assert "This post was deleted." in page and "hidden by the community" in page
    assert DELETED_CANARY not in page and HIDDEN_CANARY not in page
    if persona != "anonymous":  # the htmx answers to a bookmark on either post
        for post in (guarded_topic["deleted"], guarded_topic["hidden"]):
            answer = client.post(f"/p/{post.id}/bookmark/", HTTP_HX_REQUEST="true")
            body = answer.content.decode()
            assert DELETED_CANARY not in body and HIDDEN_CANARY not in body


@pytest.mark.django_db
def test_the_author_reads_their_hidden_post_and_staff_the_deleted_one(guarded_topic, request):
    author = _topic_pages(_client("alice", request), guarded_topic["topic"], guarded_topic)
    assert HIDDEN_CANARY in author and DELETED_CANARY not in author
    moderator = _topic_pages(_client("staff", request), guarded_topic["topic"], guarded_topic)
    assert HIDDEN_CANARY in moderator and DELETED_CANARY in moderator
    # Staff read the deleted text, but nobody is sent its source to quote.
    number = guarded_topic["deleted"].number
    article = moderator.split(f'id="post-{number}"')[1].split("</article>")[0]
    assert DELETED_CANARY in article and 'class="post-raw"' not in article


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "quotes"), [("anonymous", False), ("charlie", True)])
def test_the_markdown_source_goes_only_to_those_who_may_quote(
    guarded_topic, persona, quotes, request
):
    page = _client(persona, request).get(guarded_topic["topic"].get_absolute_url()).content
    page = page.decode()
    assert ("visible **source** 5d1c" in page) is quotes
    assert ('class="post-raw"' in page) is quotes and ("data-quote-post" in page) is quotes
    assert "<strong>source</strong>" in page  # the rendered text is there for everyone
