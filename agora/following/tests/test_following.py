"""Members follow members and see their new works, models and topics in a Following feed,
each shown only where its own app lets the viewer see it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agora.following.models import Follow
from agora.forum.models import Access, Category
from agora.forum.services import create_topic
from agora.gallery import services as gallery
from agora.lab.models import LabModel, TrainingRun


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def work(author, title, *, private=False):
    data = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 90, 160)).save(data, format="PNG")
    return gallery.upload_work(
        author=author,
        upload=SimpleUploadedFile("w.png", data.getvalue()),
        title=title,
        private=private,
    )[0]


def lab_model(owner, name, *, private=False):
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family="vae",
        dataset="digits",
        steps=1,
        total_steps=1,
        status=TrainingRun.Status.COMPLETED,
        finished_at=timezone.now(),
        private=private,
    )
    return LabModel.objects.create(
        run=run, owner=owner, name=name, private=private, checkpoint="lab/models/x.safetensors"
    )


@pytest.fixture
def bobs_things(bob):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    secret = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    create_topic(author=bob, category=lounge, title="Bob asks about samplers", raw="Which one?")
    plans = create_topic(author=bob, category=lounge, title="Bob's staff-only plans", raw="Shh.")
    type(plans).objects.filter(pk=plans.pk).update(category=secret)
    work(bob, "Bob's crane")
    work(bob, "Bob's private sketch", private=True)
    lab_model(bob, "Bob's VAE")
    lab_model(bob, "Bob's private GAN", private=True)


@pytest.mark.django_db
def test_a_member_follows_and_sees_what_they_make(client, alice, bob, charlie, bobs_things):
    client.force_login(alice)
    profile = client.get("/u/bob/").content.decode()
    assert "0 followers" in profile and ">Follow<" in profile
    assert client.post("/following/bob/", {"follow": "1"}).status_code == 302
    client.post("/following/bob/", {"follow": "1"})  # twice: still one follow
    assert Follow.objects.filter(follower=alice, followed=bob).count() == 1
    assert "1 follower" in client.get("/u/bob/").content.decode()
    feed = client.get("/following/").content.decode()
    for shown in ("Bob asks about samplers", "Bob&#x27;s crane", "Bob&#x27;s VAE"):
        assert shown in feed, shown
    for hidden in ("staff-only plans", "private sketch", "private GAN"):
        assert hidden not in feed, hidden
    # charlie follows no one: nothing of bob's
    client.force_login(charlie)
    assert "Bob asks about samplers" not in client.get("/following/").content.decode()
    client.force_login(alice)
    client.post("/following/bob/", {"follow": "0"})
    assert not Follow.objects.exists()
    assert "Bob asks about samplers" not in client.get("/following/").content.decode()


@pytest.mark.django_db
def test_who_may_not_follow(client, alice, bob):
    assert client.post("/following/bob/", {"follow": "1"}).status_code == 302  # to log in
    assert client.get("/following/").status_code == 302
    client.force_login(alice)
    assert client.post("/following/alice/", {"follow": "1"}).status_code == 403  # not oneself
    assert client.post("/following/nobody/", {"follow": "1"}).status_code == 404
    assert client.get("/following/bob/").status_code == 405
    assert not Follow.objects.exists()
    assert ">Follow<" not in client.get("/u/alice/").content.decode()


@pytest.mark.django_db
def test_the_feed_pages_on_and_costs_the_same_queries(
    client, alice, bob, django_assert_num_queries
):
    Follow.objects.create(follower=alice, followed=bob)
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    client.force_login(alice)
    client.get("/following/")
    with django_assert_num_queries(9):
        client.get("/following/")
    for i in range(25):
        create_topic(
            author=bob, category=lounge, title=f"Bob topic number {i:02d}", raw=f"Hello {i}."
        )
        work(bob, f"Bob work {i:02d}")
    with django_assert_num_queries(9):
        first = client.get("/following/")
    shown, cursor, pages = first.content.decode(), first.context["next_cursor"], 1
    while cursor:
        more = client.get("/following/", {"cursor": cursor}, HTTP_HX_REQUEST="true")
        assert "<html" not in more.content.decode()
        shown += more.content.decode()
        cursor, pages = more.context["next_cursor"], pages + 1
    assert pages == 3  # 50 items, 20 a page
    assert all(f"Bob topic number {i:02d}" in shown for i in range(25))
    assert all(f"Bob work {i:02d}" in shown for i in range(25))
