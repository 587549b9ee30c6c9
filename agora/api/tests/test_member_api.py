"""What a member notices when doing through the API what the settings, notification, bookmark,
draft and topic pages let them do: the change is there on the site afterwards; bad input gets
a clear error and changes nothing; another member's things stay out of reach."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agora.accounts.models import User
from agora.api import tokens
from agora.api.tests.conftest import bearer, call
from agora.forum import services as forum_services
from agora.forum.models import CategoryUser, Draft, TopicUser
from agora.gallery.models import ViewerSettings
from agora.notifications.models import Notification, NotificationSettings


def _png(size: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (20, 120, 220)).save(buffer, format="PNG")
    return buffer.getvalue()


def _error(response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.django_db
def test_profile_edit_shows_on_the_profile_and_bad_links_change_nothing(client, world, alice):
    changed = call(
        client,
        world,
        "owner",
        "PATCH",
        "/api/v1/me/profile",
        {"display_name": "Alice L.", "bio": "I paint with noise.", "links": ["https://a.example"]},
    )
    assert changed.status_code == 200
    assert changed.json()["display_name"] == "Alice L."
    assert changed.json()["skills"] == []  # left out: unchanged
    page = client.get("/u/alice/").content.decode()
    assert "Alice L." in page and "I paint with noise." in page
    refused = call(
        client,
        world,
        "owner",
        "PATCH",
        "/api/v1/me/profile",
        {"display_name": "Someone else", "links": ["javascript:alert(1)"]},
    )
    assert refused.status_code == 400
    error = _error(refused)
    assert error["code"] == "invalid" and "links" in error["details"]
    alice.refresh_from_db()
    assert alice.display_name == "Alice L." and alice.links == ["https://a.example"]
    too_many = call(client, world, "owner", "PATCH", "/api/v1/me/profile", {"skills": ["<script>"]})
    assert too_many.status_code == 400 and "skills" in _error(too_many)["details"]


@pytest.mark.django_db
def test_preferences_language_time_zone_and_gallery_level(client, world, alice):
    saved = call(
        client,
        world,
        "owner",
        "PATCH",
        "/api/v1/me/preferences",
        {"language": "zh-hans", "timezone": "Asia/Shanghai", "gallery_max_nsfw": 2},
    )
    assert saved.status_code == 200
    assert (saved.json()["language"], saved.json()["timezone"]) == ("zh-hans", "Asia/Shanghai")
    assert ViewerSettings.objects.get(user=alice).max_nsfw == 2
    for body in (
        {"timezone": "Mars/Olympus", "gallery_max_nsfw": 0},
        {"language": "tlh"},
        {"language": "en", "gallery_max_nsfw": 9},
    ):
        refused = call(client, world, "owner", "PATCH", "/api/v1/me/preferences", body)
        assert refused.status_code in (400, 422), body  # the service's rule, or the enum
        assert set(_error(refused)["details"]) & {"timezone", "language", "gallery_max_nsfw"}
    alice.refresh_from_db()
    assert (alice.language, alice.timezone) == ("zh-hans", "Asia/Shanghai")
    assert ViewerSettings.objects.get(user=alice).max_nsfw == 2  # nothing half-applied


@pytest.mark.django_db
def test_avatar_is_re_encoded_and_a_fake_image_is_refused(client, world, alice):
    headers = bearer(world.tokens["owner"])
    upload = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    changed = client.post("/api/v1/me/avatar", {"avatar": upload}, **headers)
    assert changed.status_code == 200 and changed.json()["avatar_url"]
    alice.refresh_from_db()
    stored = alice.avatar.name
    assert stored and not stored.endswith(".png")  # re-encoded by the profile page's service
    fake = SimpleUploadedFile("evil.png", b"<?php echo 1; ?>", content_type="image/png")
    refused = client.post("/api/v1/me/avatar", {"avatar": fake}, **headers)
    assert refused.status_code == 400 and "avatar" in _error(refused)["details"]
    alice.refresh_from_db()
    assert alice.avatar.name == stored
    missing = client.post("/api/v1/me/avatar", {}, **headers)
    assert missing.status_code == 422
    removed = client.delete("/api/v1/me/avatar", **headers)
    assert removed.status_code == 200 and removed.json()["avatar_url"] is None


@pytest.mark.django_db
def test_email_settings_partial_update(client, world, alice):
    assert call(client, world, "owner", "GET", "/api/v1/me/email-settings").json() == {
        "email_on_mention": True,
        "email_on_reply": True,
        "email_on_private_message": True,
        "email_on_challenges": True,
    }
    turned_off = call(
        client, world, "owner", "PATCH", "/api/v1/me/email-settings", {"email_on_challenges": False}
    )
    assert turned_off.json()["email_on_challenges"] is False
    assert NotificationSettings.objects.get(user=alice).email_on_challenges is False
    saved = call(
        client, world, "owner", "PATCH", "/api/v1/me/email-settings", {"email_on_reply": False}
    )
    assert saved.json()["email_on_reply"] is False and saved.json()["email_on_mention"] is True
    assert NotificationSettings.objects.get(user=alice).email_on_reply is False
    bad = call(
        client, world, "owner", "PATCH", "/api/v1/me/email-settings", {"email_on_reply": "maybe"}
    )
    assert bad.status_code == 422
    assert NotificationSettings.objects.get(user=alice).email_on_reply is False


@pytest.mark.django_db
def test_notifications_list_and_mark_read_only_your_own(client, world, alice):
    page = call(client, world, "owner", "GET", "/api/v1/notifications").json()
    mine = next(n for n in page["items"] if n["id"] == world.notification.id)
    assert mine["kind"] == "reply" and mine["actor"]["username"] == "bob" and not mine["read"]
    assert page["unread_count"] >= 1
    theirs = call(client, world, "member", "GET", "/api/v1/notifications").json()["items"]
    assert world.notification.id not in {n["id"] for n in theirs}
    other = call(client, world, "member", "POST", f"/api/v1/notifications/{mine['id']}/read")
    assert other.status_code == 404 and _error(other)["code"] == "not_found"
    assert Notification.objects.get(pk=mine["id"]).read_at is None
    read = call(client, world, "owner", "POST", f"/api/v1/notifications/{mine['id']}/read")
    assert read.status_code == 200 and read.json()["read"] is True
    forum_services.create_post(author=world.people["member"], topic=world.topic, raw="Also DDIM.")
    marked = call(client, world, "owner", "POST", "/api/v1/notifications/read-all").json()
    assert marked["marked"] == Notification.objects.filter(user=alice).count() - 1
    assert not Notification.objects.filter(user=alice, read_at=None).exists()
    assert call(client, world, "owner", "POST", "/api/v1/notifications/0/read").status_code == 404


@pytest.mark.django_db
def test_bookmarks_list_leaves_out_what_you_can_no_longer_see(client, world, bob, charlie):
    for persona, post in (("member", world.reply), ("member", world.pm.posts.first())):
        call(client, world, persona, "POST", f"/api/v1/posts/{post.id}/bookmark")
    listed = call(client, world, "member", "GET", "/api/v1/bookmarks").json()["items"]
    assert {b["post"]["id"] for b in listed} == {world.reply.id, world.pm.posts.first().id}
    assert call(client, world, "stranger", "GET", "/api/v1/bookmarks").json()["items"] == []
    world.pm.participants.remove(bob)
    listed = call(client, world, "member", "GET", "/api/v1/bookmarks").json()["items"]
    assert [b["post"]["id"] for b in listed] == [world.reply.id]


@pytest.mark.django_db
def test_drafts_are_the_composer_drafts(client, world, alice):
    key = f"reply-{world.topic.id}"
    saved = call(client, world, "owner", "PUT", f"/api/v1/drafts/{key}", {"raw": "Half a thought"})
    assert saved.status_code == 200 and saved.json()["updated_at"]
    assert Draft.objects.get(user=alice, key=key).raw == "Half a thought"
    # the topic page's composer starts from it
    client.force_login(alice)
    assert (
        "Half a thought" in client.get(world.topic.get_absolute_url(), follow=True).content.decode()
    )
    listed = call(client, world, "owner", "GET", "/api/v1/drafts").json()["items"]
    assert [d["key"] for d in listed] == [key]
    assert call(client, world, "member", "GET", f"/api/v1/drafts/{key}").json()["raw"] == ""
    unknown = call(client, world, "owner", "PUT", "/api/v1/drafts/passwords", {"raw": "x"})
    assert unknown.status_code == 404
    deleted = call(client, world, "owner", "DELETE", f"/api/v1/drafts/{key}")
    assert deleted.status_code == 200 and not Draft.objects.filter(user=alice).exists()
    call(client, world, "owner", "PUT", "/api/v1/drafts/new-topic", {"title": "Idea", "raw": ""})
    emptied = call(client, world, "owner", "PUT", "/api/v1/drafts/new-topic", {})
    assert emptied.json()["updated_at"] is None and not Draft.objects.filter(user=alice).exists()


@pytest.mark.django_db
def test_topic_and_category_notification_levels(client, world, bob):
    path = f"/api/v1/topics/{world.topic.id}/notification-level"
    assert call(client, world, "member", "GET", path).json() == {"level": "tracking"}  # replied
    set_ = call(client, world, "member", "PUT", path, {"level": "muted"})
    assert set_.json() == {"level": "muted"}
    assert TopicUser.objects.get(user=bob, topic=world.topic).notification_level == 0
    bad = call(client, world, "member", "PUT", path, {"level": "loud"})
    assert bad.status_code == 422 and "level" in _error(bad)["details"]
    assert TopicUser.objects.get(user=bob, topic=world.topic).notification_level == 0
    hidden = f"/api/v1/topics/{world.secret_topic.id}/notification-level"
    assert call(client, world, "stranger", "PUT", hidden, {"level": "watching"}).status_code == 404
    category = "/api/v1/categories/lounge/notification-level"
    assert call(client, world, "member", "GET", category).json() == {"level": "normal"}
    watched = call(client, world, "member", "PUT", category, {"level": "watching"})
    assert watched.json() == {"level": "watching"}
    assert CategoryUser.objects.get(user=bob, category=world.lounge).notification_level == 3
    secret = "/api/v1/categories/secret/notification-level"
    assert call(client, world, "stranger", "PUT", secret, {"level": "watching"}).status_code == 404


@pytest.mark.django_db
def test_watching_a_category_brings_notifications_of_new_topics(
    client, world, bob, alice, django_capture_on_commit_callbacks
):
    call(
        client,
        world,
        "member",
        "PUT",
        "/api/v1/categories/lounge/notification-level",
        {"level": "watching"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        call(
            client,
            world,
            "owner",
            "POST",
            "/api/v1/topics",
            {"category": "lounge", "title": "Karras sigmas", "raw": "Anyone tried them?"},
        )
    page = call(client, world, "member", "GET", "/api/v1/notifications").json()
    assert any(n["topic_title"] == "Karras sigmas" for n in page["items"])


@pytest.mark.django_db
def test_revisions_and_composer_uploads(client, world):
    call(client, world, "member", "PATCH", f"/api/v1/posts/{world.reply.id}", {"raw": "Cosine!"})
    revisions = call(client, world, "anonymous", "GET", f"/api/v1/posts/{world.reply.id}/revisions")
    assert [(r["raw_before"], r["raw_after"]) for r in revisions.json()] == [
        ("Cosine, always.", "Cosine!")
    ]
    assert (
        call(
            client, world, "anonymous", "GET", f"/api/v1/posts/{world.deleted.id}/revisions"
        ).status_code
        == 404
    )
    headers = bearer(world.tokens["member"])
    image = SimpleUploadedFile("graph [1].png", _png(), content_type="image/png")
    uploaded = client.post("/api/v1/uploads", {"image": image}, **headers)
    assert uploaded.status_code == 201
    assert uploaded.json()["markdown"] == f"![graph 1]({uploaded.json()['url']})"
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    refused = client.post("/api/v1/uploads", {"image": fake}, **headers)
    assert refused.status_code == 400 and "image" in _error(refused)["details"]


@pytest.mark.django_db
def test_a_read_only_token_reads_settings_but_cannot_change_them(client, world, alice):
    _token, raw = tokens.create_token(user=alice, name="r", scopes=["read"])
    assert client.get("/api/v1/me/profile", **bearer(raw)).status_code == 200
    refused = client.patch(
        "/api/v1/me/profile",
        {"display_name": "Nope"},
        content_type="application/json",
        **bearer(raw),
    )
    assert refused.status_code == 403 and _error(refused)["code"] == "insufficient_scope"
    assert User.objects.get(pk=alice.pk).display_name != "Nope"


@pytest.mark.django_db
def test_your_lists_cost_the_same_queries_with_more_rows(client, world, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = ["/api/v1/notifications", "/api/v1/bookmarks", "/api/v1/drafts"]
    headers = bearer(world.tokens["owner"])

    def counts() -> dict[str, int]:
        result = {}
        for url in urls:
            client.get(url, **headers)  # warm the rate limit's cache row
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **headers).status_code == 200
            result[url] = len(queries)
        return result

    before = counts()
    for i in range(4):
        post = forum_services.create_post(author=bob, topic=world.topic, raw=f"Answer {i} here")
        Notification.objects.get_or_create(
            user=alice, kind="reply", post=post, defaults={"topic": world.topic, "actor": bob}
        )
        forum_services.toggle_bookmark(user=alice, post=post)
        forum_services.save_draft(user=alice, key=f"reply-{1000 + i}", raw=f"Draft {i}")
    assert counts() == before


@pytest.mark.django_db
def test_new_unread_top_and_inbox_lists(client, world, bob):
    new = call(client, world, "stranger", "GET", "/api/v1/topics/new").json()["items"]
    assert world.topic.id in {t["id"] for t in new}
    assert world.secret_topic.id not in {t["id"] for t in new}  # not for the stranger
    forum_services.create_post(
        author=world.people["owner"], topic=world.topic, raw="Try DPM++ too."
    )
    unread = call(client, world, "member", "GET", "/api/v1/topics/unread").json()["items"]
    assert world.topic.id in {t["id"] for t in unread}
    assert call(client, world, "anonymous", "GET", "/api/v1/topics/unread").status_code == 401
    top = call(client, world, "anonymous", "GET", "/api/v1/topics/top?period=all").json()
    assert world.secret_topic.id not in {t["id"] for t in top["items"]}
    bad = call(client, world, "anonymous", "GET", "/api/v1/topics/top?period=century")
    assert bad.status_code == 422 and "period" in _error(bad)["details"]
    inbox = call(client, world, "member", "GET", "/api/v1/messages").json()["items"]
    assert [t["id"] for t in inbox] == [world.pm.id]
    assert call(client, world, "stranger", "GET", "/api/v1/messages").json()["items"] == []


@pytest.mark.django_db
def test_preview_renders_as_a_post_would(client, world):
    shown = call(client, world, "member", "POST", "/api/v1/preview", {"raw": "**bold** <b>x</b>"})
    assert shown.status_code == 200 and "<strong>bold</strong>" in shown.json()["html"]
    assert "<b>" not in shown.json()["html"]  # the post renderer's sanitising applies
    assert (
        call(client, world, "anonymous", "POST", "/api/v1/preview", {"raw": "x"}).status_code == 401
    )
    assert call(client, world, "member", "POST", "/api/v1/preview", {}).status_code == 422


@pytest.mark.django_db
def test_collections_show_only_what_the_caller_may_see(client, world):
    mine = call(client, world, "owner", "GET", f"/api/v1/collections/{world.collection.id}")
    assert {w["title"] for w in mine.json()["works"]} == {"Moonrise", "Sketch"}
    theirs = call(client, world, "member", "GET", f"/api/v1/collections/{world.collection.id}")
    assert [w["title"] for w in theirs.json()["works"]] == ["Moonrise"]  # not the private work
    hidden = f"/api/v1/collections/{world.private_collection.id}"
    assert call(client, world, "staff", "GET", hidden).status_code == 404
    assert call(client, world, "anonymous", "GET", "/api/v1/collections/0").status_code == 404


@pytest.mark.django_db
def test_launch_signups_for_the_owner_only(client, world):
    call(
        client,
        world,
        "member",
        "POST",
        f"/api/v1/launches/{world.launch.id}/signups",
        {"note": "=cmd", "consent": True},
    )
    path = f"/api/v1/launches/{world.launch.id}/signups"
    rows = call(client, world, "owner", "GET", path).json()
    assert [(r["username"], r["note"]) for r in rows] == [("bob", "=cmd")]
    assert rows[0]["email"] == world.people["member"].email
    refused = call(client, world, "member", "GET", path)
    assert refused.status_code == 403 and _error(refused)["code"] == "forbidden"


@pytest.mark.django_db
def test_sharing_a_run_fills_the_composer_draft(client, world, bob):
    path = f"/api/v1/runs/{world.public_run.id}/share"
    shared = call(client, world, "member", "POST", path, {})
    assert shared.status_code == 200 and shared.json()["url"].startswith("/new-topic/")
    assert Draft.objects.get(user=bob, key="new-topic").title == world.public_run.title
    reply = call(client, world, "member", "POST", path, {"topic": str(world.topic.id)})
    assert reply.json()["url"].endswith("#reply")
    assert Draft.objects.filter(user=bob, key=f"reply-{world.topic.id}").exists()
    nowhere = call(client, world, "member", "POST", path, {"topic": "not a topic"})
    assert nowhere.status_code == 400
    secret = call(client, world, "stranger", "POST", path, {"topic": str(world.secret_topic.id)})
    assert secret.status_code == 400  # a topic the stranger cannot see is "no such topic"
    assert not Draft.objects.filter(user=world.people["stranger"]).exists()


@pytest.mark.django_db
def test_member_suggestions_by_prefix(client, world):
    found = call(client, world, "anonymous", "GET", "/api/v1/members?prefix=@ch").json()
    assert [m["username"] for m in found["items"]] == ["charlie"]
    assert found["next_cursor"] is None
    assert call(client, world, "anonymous", "GET", "/api/v1/members?prefix=zzz").json() == {
        "items": [],
        "next_cursor": None,
    }
