"""New members' limits count what readers see (the rendered post), hold on edits as on new
posts, and cover private messages: how many they reach and how many start in a day."""

from __future__ import annotations

import pytest
from django.test import Client

from agora.conftest import make_member
from agora.forum import services as forum
from agora.forum.models import Category, Post, Topic
from agora.moderation.services import PM_MAX_RECIPIENTS, PM_PER_DAY


@pytest.fixture
def lounge(db):
    return Category.objects.create(slug="lounge", name="Lounge")


@pytest.fixture
def newbie(db):
    return make_member("newbie", trust_level=0)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _new_topic(client, lounge, raw):
    return client.post(
        "/new-topic/", {"title": "Some things I found", "category": lounge.id, "raw": raw}
    )


@pytest.mark.parametrize(
    "raw,message",
    [
        ("see www.a.example and www.b.example and www.c.example", "at most 2 links"),
        ("![grid][g]\n\n[g]: /media/uploads/1/grid.png", "at most 0 images"),
        (
            "[a][1] [b][2] [c][3]\n\n[1]: https://a.example\n[2]: https://b.example\n"
            "[3]: https://c.example",
            "at most 2 links",
        ),
    ],
    ids=["www autolinks", "reference image", "reference links"],
)
@pytest.mark.django_db
def test_links_and_images_count_as_readers_see_them(lounge, newbie, raw, message):
    response = _new_topic(_client(newbie), lounge, raw)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Topic.objects.exists()


@pytest.mark.django_db
def test_mentions_and_links_within_the_site_are_not_outside_links(lounge, newbie, alice):
    raw = "thanks @alice, see [the rules](/t/rules/1/) and https://a.example"
    assert _new_topic(_client(newbie), lounge, raw).status_code == 302


@pytest.mark.django_db
def test_an_edit_cannot_add_what_a_new_post_could_not(lounge, newbie):
    topic = forum.create_topic(author=newbie, category=lounge, title="Harmless hello", raw="Hi")
    post = topic.posts.get()
    client = _client(newbie)
    spam = "https://a.example https://b.example https://c.example"
    response = client.post(f"/p/{post.id}/edit/", {"raw": spam, "title": topic.title})
    assert response.status_code == 400
    assert "at most 2 links" in response.content.decode()
    post.refresh_from_db()
    assert post.raw == "Hi" and post.revision_count == 0
    ok = client.post(f"/p/{post.id}/edit/", {"raw": "Hi, with https://a.example", "title": "x" * 9})
    assert ok.status_code == 302


@pytest.mark.django_db
def test_trusted_members_may_post_many_links(lounge, alice):
    raw = " ".join(f"www.site{i}.example" for i in range(5))
    assert _new_topic(_client(alice), lounge, raw).status_code == 302


def _message(client, recipients, raw="Hello there, a short note."):
    return client.post(
        "/messages/new/",
        {"recipients": ",".join(recipients), "title": "A private word", "raw": raw},
    )


@pytest.mark.django_db
def test_a_new_members_message_reaches_a_few_members_at_most(newbie):
    names = [make_member(f"reader{i}").username for i in range(PM_MAX_RECIPIENTS["new"] + 1)]
    client = _client(newbie)
    response = _message(client, names)
    assert response.status_code == 400
    assert "at most 3 members at once" in response.content.decode()
    assert not Topic.objects.filter(is_private=True).exists()
    assert _message(client, names[:3]).status_code == 302


@pytest.mark.django_db
def test_private_messages_are_rate_limited_and_carry_the_post_limits(newbie, bob):
    client = _client(newbie)
    refused = _message(client, [bob.username], raw="![x](/media/uploads/1/a.png)")
    assert refused.status_code == 400 and "at most 0 images" in refused.content.decode()
    for i in range(PM_PER_DAY["new"]):
        assert _message(client, [bob.username], raw=f"Note number {i}").status_code == 302
    response = _message(client, [bob.username], raw="One more note")
    assert response.status_code == 400
    assert "You can start 5 private conversations a day" in response.content.decode()
    assert Topic.objects.filter(is_private=True).count() == PM_PER_DAY["new"]


@pytest.mark.django_db
def test_replies_in_a_private_message_carry_the_post_limits(newbie, bob):
    pm = forum.create_private_topic(author=bob, recipients=[newbie], title="Welcome", raw="Hi!")
    response = _client(newbie).post(
        f"/t/{pm.id}/reply/", {"raw": "https://a.example https://b.example https://c.example"}
    )
    assert response.status_code == 400
    assert Post.objects.filter(topic=pm).count() == 1


@pytest.mark.django_db
def test_staff_are_not_limited(staff):
    names = [make_member(f"reader{i}").username for i in range(12)]
    assert _message(_client(staff), names).status_code == 302
