"""Composer images follow the posts that show them: a picture posted only in a private category
or a message is not for whoever holds its URL (issue #9)."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from agora.conftest import make_member
from agora.forum import services
from agora.forum.models import PostUpload


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _upload(client: Client) -> tuple[str, str]:
    """Drop an image into the composer as a member does: (markdown inserted, media URL)."""
    response = client.post("/composer/upload/", {"image": SimpleUploadedFile("pic.png", _png())})
    assert response.status_code == 200
    markdown = response.json()["markdown"]
    return markdown, markdown.split("(", 1)[1].rstrip(")")


def _statuses(url: str, clients: dict[str, Client]) -> dict[str, int]:
    return {name: client.get(url).status_code for name, client in clients.items()}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def insider(db, secret):
    """Another member of the Insiders group (besides bob): may see the private category."""
    member = make_member("dora")
    member.groups.add(Group.objects.get(name="Insiders"))
    return member


@pytest.mark.django_db
def test_image_in_a_private_category_is_for_those_who_may_see_it(
    bob, insider, charlie, staff, secret
):
    uploader = _client(bob)
    markdown, url = _upload(uploader)
    services.create_topic(
        author=bob, category=secret, title="Roadmap for insiders", raw="Plan:\n\n" + markdown
    )
    clients = {
        "uploader": uploader,
        "insider": _client(insider),
        "stranger": _client(charlie),
        "anonymous": _client(),
        "staff": _client(staff),
    }
    assert _statuses(url, clients) == {
        "uploader": 200,
        "insider": 200,
        "stranger": 404,
        "anonymous": 404,
        "staff": 200,
    }
    response = clients["insider"].get(url)
    assert response["Cache-Control"].startswith("private")  # no shared cache keeps it


@pytest.mark.django_db
def test_image_in_a_message_is_for_its_participants(alice, bob, charlie, staff):
    sender = _client(alice)
    markdown, url = _upload(sender)
    services.create_private_topic(
        author=alice, recipients=[bob], title="Just between us", raw="Look:\n\n" + markdown
    )
    clients = {
        "sender": sender,
        "recipient": _client(bob),
        "stranger": _client(charlie),
        "anonymous": _client(),
        "staff": _client(staff),
    }
    assert _statuses(url, clients) == {
        "sender": 200,
        "recipient": 200,
        "stranger": 404,
        "anonymous": 404,
        "staff": 200,
    }


@pytest.mark.django_db
def test_image_in_a_public_topic_is_public_and_revalidated(alice, lounge):
    author = _client(alice)
    markdown, url = _upload(author)
    response = author.post(
        "/new-topic/",
        {"title": "My new sampler grid", "category": lounge.id, "tags": "", "raw": markdown},
    )
    assert response.status_code == 302
    anonymous = _client().get(url)
    assert anonymous.status_code == 200
    assert anonymous["Cache-Control"] == "no-cache"  # the post may move or change: ask again


@pytest.mark.django_db
def test_an_image_no_post_uses_is_a_draft_for_its_uploader(alice, bob, staff):
    uploader = _client(alice)
    _markdown, url = _upload(uploader)
    clients = {
        "uploader": uploader,
        "member": _client(bob),
        "anonymous": _client(),
        "staff": _client(staff),
    }
    assert _statuses(url, clients) == {
        "uploader": 200,
        "member": 404,
        "anonymous": 404,
        "staff": 200,
    }


@pytest.mark.django_db
def test_editing_the_image_out_of_a_post_unlinks_it(alice, bob, lounge):
    author = _client(alice)
    markdown, url = _upload(author)
    topic = services.create_topic(
        author=alice, category=lounge, title="Grid of samplers", raw="Here:\n\n" + markdown
    )
    post = topic.posts.get()
    assert _client(bob).get(url).status_code == 200
    response = author.post(
        f"/p/{post.id}/edit/", {"title": "Grid of samplers", "raw": "No picture after all, sorry."}
    )
    assert response.status_code == 302
    assert not PostUpload.objects.filter(post=post).exists()
    assert _client(bob).get(url).status_code == 404
    assert author.get(url).status_code == 200  # still the uploader's
    response = author.post(
        f"/p/{post.id}/edit/", {"title": "Grid of samplers", "raw": "It is back:\n\n" + markdown}
    )
    assert response.status_code == 302
    assert _client(bob).get(url).status_code == 200


@pytest.mark.django_db
def test_deleted_posts_and_quoted_urls_do_not_open_an_image(alice, bob, charlie, lounge, secret):
    uploader = _client(bob)
    markdown, url = _upload(uploader)
    hidden = services.create_topic(
        author=bob, category=secret, title="Insiders only here", raw="Secret:\n\n" + markdown
    )
    # Someone pasting the URL into a public topic does not publish another member's image.
    services.create_topic(
        author=charlie, category=lounge, title="Found this picture", raw="See " + markdown
    )
    assert _client().get(url).status_code == 404
    services.delete_post(actor=bob, post=hidden.posts.get())
    insider_who_is_not_the_uploader = make_member("erin")
    insider_who_is_not_the_uploader.groups.add(Group.objects.get(name="Insiders"))
    assert _client(insider_who_is_not_the_uploader).get(url).status_code == 404
    assert uploader.get(url).status_code == 200


@pytest.mark.django_db
def test_checking_an_upload_costs_a_constant_number_of_queries(
    bob, insider, secret, django_assert_max_num_queries
):
    uploader = _client(bob)
    markdown, url = _upload(uploader)
    topic = services.create_topic(
        author=bob, category=secret, title="Roadmap for insiders", raw=markdown
    )
    for number in range(5):  # more posts showing it cost nothing more
        services.create_post(author=bob, topic=topic, raw=f"Again, number {number}:\n\n{markdown}")
    viewer = _client(insider)
    viewer.get(url)  # the first visit of the day is recorded once
    # session, user, categories, the viewer's groups, and the one upload query
    with django_assert_max_num_queries(5):
        assert viewer.get(url).status_code == 200
