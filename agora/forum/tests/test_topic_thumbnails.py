"""Topic lists show a thumbnail when a topic's first post carries an image (a shared work or
a run card brings theirs), read with the row, and never for a first post hidden by flags."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agora.forum import services
from agora.forum.models import Topic
from agora.moderation.services import resolve_flags


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def picture(user):
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(data, format="PNG")
    upload = services.upload_image(user=user, upload=SimpleUploadedFile("p.png", data.getvalue()))
    return services.upload_markdown(upload, "p.png")


def thumbs(page: str) -> list[str]:
    return re.findall(r'class="topic-thumb"[^>]*><img src="([^"]+)"', page)


@pytest.mark.django_db
def test_a_topic_with_an_image_shows_it_in_the_lists(client, alice, bob, lounge):
    with_image = services.create_topic(
        author=alice,
        category=lounge,
        title="Look at these samplers",
        raw="Here.\n\n" + picture(alice),
    )
    services.create_topic(
        author=alice, category=lounge, title="Words only, no picture", raw="Text."
    )
    with_image.refresh_from_db()
    assert with_image.image.startswith("/media/")
    for path in ("/", "/latest/", "/c/lounge/"):
        assert thumbs(client.get(path).content.decode()) == [with_image.image], path
    # an edit that drops the image drops the thumbnail; a reply's image is not the topic's
    first = with_image.posts.get(number=1)
    services.edit_post(editor=alice, post=first, raw="No image any more, sorry.")
    services.create_post(author=bob, topic=with_image, raw="Mine:\n\n" + picture(bob))
    assert thumbs(client.get("/latest/").content.decode()) == []


@pytest.mark.django_db
def test_a_hidden_first_post_takes_its_thumbnail_with_it(
    client, alice, staff, lounge, django_capture_on_commit_callbacks
):
    topic = services.create_topic(
        author=alice, category=lounge, title="Soon to be hidden", raw="Spam.\n\n" + picture(alice)
    )
    first = topic.posts.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_flags(actor=staff, post=first, agree=True)
    assert Topic.objects.get(pk=topic.pk).image == ""
    assert thumbs(client.get("/latest/").content.decode()) == []
    with django_capture_on_commit_callbacks(execute=True):
        resolve_flags(actor=staff, post=first, agree=False)
    assert Topic.objects.get(pk=topic.pk).image.startswith("/media/")
