import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agora.forum import services
from agora.forum.models import Post, PostRevision, Tag, TagGroup, Topic

DDPM = r"""Loss: $$\mathbb{E}\left\|\epsilon - \epsilon_\theta(x_t, t)\right\|^2$$

```mermaid
graph TD; A-->B
```

```python
print("hi")
```
"""


def new_topic(author, category, title="A perfectly fine title", raw="Hello world body", **kw):
    return services.create_topic(author=author, category=category, title=title, raw=raw, **kw)


@pytest.mark.django_db
def test_member_starts_a_topic_with_math_mermaid_and_code(alice_client, alice, lounge):
    response = alice_client.post(
        "/new-topic/",
        {
            "title": "Diffusion loss explained",
            "category": lounge.id,
            "tags": "diffusion, ddpm",
            "raw": DDPM,
        },
    )
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert response["Location"] == topic.get_absolute_url()
    assert sorted(t.name for t in topic.tags.all()) == ["ddpm", "diffusion"]
    page = alice_client.get(topic.get_absolute_url()).content.decode()
    assert "<math" in page and "\\mathbb" not in page.split('class="post-raw"')[0]
    assert '<pre class="mermaid">' in page
    assert 'class="highlight"' in page
    lounge.refresh_from_db()
    assert (lounge.topic_count, lounge.post_count) == (1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("title", "raw", "message"),
    [
        ("", "Body text here", "This field is required"),
        ("abc", "Body text here", "at least 5 characters"),
        ("x" * 201, "Body text here", "at most 200 characters"),
        ("A good title", "", "This field is required"),
        ("A good title", "x" * 60_001, "at most 60000 characters"),
    ],
)
def test_bad_topic_input_is_refused_and_stores_nothing(alice_client, lounge, title, raw, message):
    response = alice_client.post("/new-topic/", {"title": title, "category": lounge.id, "raw": raw})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Topic.objects.exists() and not Post.objects.exists()


@pytest.mark.django_db
def test_hostile_markdown_is_stored_inert(alice, lounge):
    topic = new_topic(
        alice,
        lounge,
        raw="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
        "<svg onload=alert(1)>" + "\n" + "- " * 2000,
    )
    html = topic.posts.get().html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text
    assert "<svg" not in html


@pytest.mark.django_db
def test_members_cannot_start_topics_in_announcements_but_staff_can(alice, staff, announcements):
    with pytest.raises(PermissionDenied):
        new_topic(alice, announcements)
    topic = new_topic(staff, announcements)
    services.create_post(author=alice, topic=topic, raw="Members may reply here.")


@pytest.mark.django_db
def test_new_topic_page_refuses_a_category_the_member_may_not_post_in(
    alice_client, announcements, lounge
):
    response = alice_client.post(
        "/new-topic/",
        {"title": "Sneaky announcement", "category": announcements.id, "raw": "Body text"},
    )
    assert response.status_code == 400
    assert not Topic.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, lounge):
    response = client.post(
        "/new-topic/", {"title": "Anonymous post", "category": lounge.id, "raw": "Body"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Topic.objects.exists()


@pytest.mark.django_db
def test_private_category_is_invisible_to_outsiders(client, alice, bob, secret, lounge):
    topic = new_topic(bob, secret, title="Insiders only plan")
    new_topic(alice, lounge, title="Public chatter topic")
    for viewer in (None, alice):
        if viewer:
            client.force_login(viewer)
        for url in ("/", "/latest/", "/categories/", "/top/?period=all", "/new/"):
            assert "Insiders only plan" not in client.get(url).content.decode(), url
        assert client.get(topic.get_absolute_url()).status_code == 404
        assert client.get("/c/secret/").status_code == 404
    client.force_login(bob)
    assert "Insiders only plan" in client.get("/latest/").content.decode()
    assert client.get(topic.get_absolute_url()).status_code == 200
    with pytest.raises(PermissionDenied):
        services.create_post(author=alice, topic=topic, raw="Let me in")


@pytest.mark.django_db
def test_reply_to_a_post_and_reading_position(alice, bob, lounge, client):
    topic = new_topic(alice, lounge)
    first = topic.posts.get()
    client.force_login(bob)
    response = client.post(f"/t/{topic.id}/reply/", {"raw": "Nice one!", "reply_to": first.id})
    reply = Post.objects.get(number=2)
    assert response["Location"] == topic.get_post_url(2)
    assert reply.reply_to == first
    topic.refresh_from_db()
    assert (topic.post_count, topic.highest_post_number, topic.last_poster) == (2, 2, bob)


@pytest.mark.django_db
def test_closed_topic_refuses_replies_with_a_message(alice, bob, staff, lounge, client):
    topic = new_topic(alice, lounge)
    services.set_topic_state(actor=staff, topic=topic, closed=True)
    client.force_login(bob)
    response = client.post(f"/t/{topic.id}/reply/", {"raw": "Too late?"})
    assert response.status_code == 400
    assert "This topic is closed" in response.content.decode()
    assert Post.objects.count() == 1


@pytest.mark.django_db
def test_empty_reply_is_refused(alice, lounge, client):
    topic = new_topic(alice, lounge)
    client.force_login(alice)
    response = client.post(f"/t/{topic.id}/reply/", {"raw": "   "})
    assert response.status_code == 400
    assert Post.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_post_is_refused(alice, bob, lounge):
    topic = new_topic(alice, lounge)
    services.create_post(author=bob, topic=topic, raw="Same words")
    with pytest.raises(ValidationError, match="exactly this"):
        services.create_post(author=bob, topic=topic, raw="Same words")


@pytest.mark.django_db
def test_edit_keeps_a_revision_history_with_a_diff(alice, lounge, client):
    topic = new_topic(alice, lounge, raw="The sampler uses 50 steps")
    post = topic.posts.get()
    client.force_login(alice)
    response = client.post(
        f"/p/{post.id}/edit/", {"raw": "The sampler uses 20 steps", "title": "A better title now"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    topic.refresh_from_db()
    assert (post.raw, post.revision_count, topic.title) == (
        "The sampler uses 20 steps",
        1,
        "A better title now",
    )
    revision = PostRevision.objects.get()
    assert revision.raw_before == "The sampler uses 50 steps"
    history = client.get(f"/p/{post.id}/revisions/").content.decode()
    assert "<del>50</del>" in history and "<ins>20</ins>" in history


@pytest.mark.django_db
def test_editing_someone_elses_post_is_forbidden(alice, bob, lounge, client):
    post = new_topic(alice, lounge, raw="Mine, all mine").posts.get()
    client.force_login(bob)
    assert client.post(f"/p/{post.id}/edit/", {"raw": "Hijacked"}).status_code == 403
    post.refresh_from_db()
    assert post.raw == "Mine, all mine"


@pytest.mark.django_db
def test_author_soft_deletes_and_staff_restores(alice, bob, staff, lounge, client):
    topic = new_topic(alice, lounge)
    reply = services.create_post(author=bob, topic=topic, raw="Oops, wrong thread")
    client.force_login(bob)
    client.post(f"/p/{reply.id}/delete/")
    reply.refresh_from_db()
    assert reply.deleted_at is not None and reply.raw == "Oops, wrong thread"
    assert (
        "This post was deleted."
        in client.get(topic.get_absolute_url() + "?page=1").content.decode()
    )
    assert client.post(f"/p/{reply.id}/restore/").status_code == 403
    client.force_login(staff)
    client.post(f"/p/{reply.id}/restore/")
    reply.refresh_from_db()
    assert reply.deleted_at is None


@pytest.mark.django_db
def test_deleting_the_first_post_removes_the_topic_from_lists(alice, lounge, client):
    topic = new_topic(alice, lounge, title="Soon to be gone")
    client.force_login(alice)
    client.post(f"/p/{topic.posts.get().id}/delete/")
    assert "Soon to be gone" not in client.get("/latest/").content.decode()
    assert client.get(topic.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_likes_once_not_own_and_undo(alice, bob, lounge, client):
    post = new_topic(alice, lounge).posts.get()
    with pytest.raises(PermissionDenied):
        services.like_post(user=alice, post=post)
    client.force_login(bob)
    client.post(f"/p/{post.id}/like/")
    client.post(f"/p/{post.id}/like/")  # a double click
    post.refresh_from_db()
    assert post.like_count == 1
    fragment = client.post(f"/p/{post.id}/like/", {"undo": "1"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false"' in fragment.content.decode()
    post.refresh_from_db()
    assert post.like_count == 0


@pytest.mark.django_db
def test_bookmarks_toggle_and_list(alice, bob, lounge, client):
    post = new_topic(alice, lounge, title="Worth keeping around").posts.get()
    client.force_login(bob)
    client.post(f"/p/{post.id}/bookmark/")
    assert "Worth keeping around" in client.get("/bookmarks/").content.decode()
    client.post(f"/p/{post.id}/bookmark/")
    assert "Worth keeping around" not in client.get("/bookmarks/").content.decode()


@pytest.mark.django_db
def test_only_the_asker_accepts_an_answer(alice, bob, charlie, qa, client):
    topic = new_topic(alice, qa, title="How do I sample faster?")
    answer = services.create_post(author=bob, topic=topic, raw="Use DDIM with 50 steps.")
    client.force_login(charlie)
    assert client.post(f"/p/{answer.id}/accept/").status_code == 403
    client.force_login(alice)
    client.post(f"/p/{answer.id}/accept/")
    topic.refresh_from_db()
    assert topic.accepted_answer == answer
    assert "Accepted answer" in client.get(topic.get_absolute_url() + "?page=1").content.decode()


@pytest.mark.django_db
def test_tag_groups_restrict_a_categorys_tags(alice, lounge):
    group = TagGroup.objects.create(name="Families")
    group.tags.add(Tag.objects.create(name="gan"))
    lounge.allowed_tag_groups.add(group)
    with pytest.raises(ValidationError, match="not allowed: vae"):
        new_topic(alice, lounge, tags=["gan", "vae"])
    assert new_topic(alice, lounge, tags=["GAN"]).tags.get().name == "gan"


@pytest.mark.django_db
def test_staff_pin_close_and_move_members_cannot(alice, staff, lounge, qa, client):
    topic = new_topic(alice, lounge)
    client.force_login(alice)
    assert client.post(f"/t/{topic.id}/moderate/", {"action": "close"}).status_code == 403
    client.force_login(staff)
    client.post(f"/t/{topic.id}/moderate/", {"action": "pin_globally"})
    client.post(f"/t/{topic.id}/moderate/", {"action": "move", "category": qa.id})
    topic.refresh_from_db()
    assert topic.pinned_globally and topic.category == qa
    lounge.refresh_from_db()
    qa.refresh_from_db()
    assert (lounge.topic_count, qa.topic_count) == (0, 1)


@pytest.mark.django_db
def test_pasted_images_are_reencoded_without_metadata(alice_client, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    image = Image.new("RGB", (3000, 1000), (10, 200, 30))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS position
    raw = io.BytesIO()
    image.save(raw, format="JPEG", exif=exif)
    response = alice_client.post(
        "/composer/upload/", {"image": SimpleUploadedFile("sunset.jpg", raw.getvalue())}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["markdown"].startswith("![sunset](/media/uploads/")
    stored = next(tmp_path.rglob("*.webp"))
    with Image.open(stored) as result:
        assert result.size == (2048, 683) and not result.getexif()


@pytest.mark.django_db
def test_bad_uploads_are_refused_and_leave_no_file(alice_client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("evil.png", b"<?php system($_GET['c']); ?>")
    response = alice_client.post("/composer/upload/", {"image": fake})
    assert response.status_code == 400 and "not a valid image" in response.json()["error"]
    assert alice_client.post("/composer/upload/", {}).status_code == 400
    assert Client().post("/composer/upload/", {"image": fake}).status_code == 302  # anonymous
    assert not any(tmp_path.rglob("*.*"))
