"""Flags, the review queue, topic state, moves and restores, a work's content level and an
event's materials through the API: staff can, members cannot, bad input changes nothing, and
what staff do shows on the site and in the staff log."""

from __future__ import annotations

import pytest

from agora.api.tests.conftest import call
from agora.forum.models import Post, Topic
from agora.gallery.models import Work
from agora.moderation.models import Flag, StaffAction


def _error(response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.django_db
def test_flagging_a_post_and_staff_resolving_it(client, world, bob, charlie):
    path = f"/api/v1/posts/{world.reply.id}/flags"
    flagged = call(client, world, "stranger", "POST", path, {"reason": "off_topic"})
    assert flagged.status_code == 201 and flagged.json()["reason"] == "off_topic"
    again = call(client, world, "stranger", "POST", path, {"reason": "spam"})
    assert again.status_code == 400 and "already" in _error(again)["message"]
    own = call(client, world, "member", "POST", path, {"reason": "spam"})
    assert own.status_code == 400
    for body in ({"reason": "boring"}, {"reason": "other", "message": "  "}):
        refused = call(client, world, "owner", "POST", path, body)
        assert refused.status_code in (400, 422), body  # not in the enum, or the service's rule
    assert Flag.objects.filter(post=world.reply).count() == 1

    queue = call(client, world, "staff", "GET", "/api/v1/review-queue").json()["items"]
    assert {item["post"]["id"] for item in queue} == {world.reply.id, world.flagged.id}
    assert call(client, world, "member", "GET", "/api/v1/review-queue").status_code == 403

    resolve = f"/api/v1/review-queue/{world.reply.id}"
    assert call(client, world, "member", "POST", resolve, {"decision": "agree"}).status_code == 403
    bad = call(client, world, "staff", "POST", resolve, {"decision": "maybe"})
    assert bad.status_code == 422 and "decision" in _error(bad)["details"]
    assert Flag.objects.get(post=world.reply).resolution == "pending"
    agreed = call(client, world, "staff", "POST", resolve, {"decision": "agree"})
    assert agreed.status_code == 200 and agreed.json()["post"]["hidden"] is True
    shown = call(client, world, "anonymous", "GET", f"/api/v1/posts/{world.reply.id}").json()
    assert shown["hidden"] and shown["raw"] is None
    deleted = call(
        client,
        world,
        "staff",
        "POST",
        f"/api/v1/review-queue/{world.flagged.id}",
        {"decision": "agree_delete"},
    )
    assert deleted.json()["post"]["deleted"] is True
    assert call(client, world, "staff", "GET", "/api/v1/review-queue").json()["items"] == []
    log = call(client, world, "staff", "GET", "/api/v1/staff-log").json()["items"]
    assert {"flags_agreed"} <= {entry["action"] for entry in log}
    assert call(client, world, "stranger", "GET", "/api/v1/staff-log").status_code == 403


@pytest.mark.django_db
def test_a_staff_flag_hides_the_post_at_once(client, world):
    call(
        client, world, "staff", "POST", f"/api/v1/posts/{world.reply.id}/flags", {"reason": "spam"}
    )
    assert Post.objects.get(pk=world.reply.id).hidden is True


@pytest.mark.django_db
def test_staff_close_pin_and_move_a_topic(client, world, alice, django_capture_on_commit_callbacks):
    state = f"/api/v1/topics/{world.topic.id}/state"
    refused = call(client, world, "owner", "POST", state, {"closed": True})
    assert refused.status_code == 403 and _error(refused)["code"] == "forbidden"
    assert not Topic.objects.get(pk=world.topic.id).closed
    closed = call(client, world, "staff", "POST", state, {"closed": True, "pinned_globally": True})
    assert closed.json()["closed"] is True and closed.json()["pinned"] is True
    assert closed.json()["can_reply"] is True  # staff may still reply
    reply = call(
        client, world, "member", "POST", f"/api/v1/topics/{world.topic.id}/posts", {"raw": "Hi!"}
    )
    assert reply.status_code == 403  # members cannot reply to a closed topic
    opened = call(
        client, world, "staff", "POST", state, {"closed": False, "pinned_globally": False}
    )
    assert opened.json()["closed"] is False and opened.json()["pinned"] is False
    bad = call(client, world, "staff", "POST", state, {"closed": "sometimes"})
    assert bad.status_code == 422

    move = f"/api/v1/topics/{world.topic.id}/move"
    assert call(client, world, "owner", "POST", move, {"category": "qa"}).status_code == 403
    nowhere = call(client, world, "staff", "POST", move, {"category": "no-such-place"})
    assert nowhere.status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        moved = call(client, world, "staff", "POST", move, {"category": "qa"})
    assert moved.status_code == 200 and moved.json()["category"] == "qa"
    pm = call(
        client, world, "staff", "POST", f"/api/v1/topics/{world.pm.id}/move", {"category": "qa"}
    )
    assert pm.status_code == 400 and Topic.objects.get(pk=world.pm.id).category_id is None
    assert StaffAction.objects.filter(topic_id=world.topic.id, action="move").exists()


@pytest.mark.django_db
def test_staff_restore_a_deleted_post(client, world):
    path = f"/api/v1/posts/{world.deleted.id}/restore"
    author = call(client, world, "stranger", "POST", path)
    assert author.status_code == 403  # the author sees their deleted post, but cannot restore it
    restored = call(client, world, "staff", "POST", path)
    assert restored.status_code == 200 and restored.json()["deleted"] is False
    seen = call(client, world, "anonymous", "GET", f"/api/v1/posts/{world.deleted.id}")
    assert seen.status_code == 200 and seen.json()["raw"] == "Something I regret writing."
    again = call(client, world, "staff", "POST", path)
    assert again.status_code == 403  # nothing to restore


@pytest.mark.django_db
def test_work_content_level_author_sets_staff_overrides(client, world):
    path = f"/api/v1/works/{world.work.id}/nsfw"
    assert call(client, world, "owner", "PUT", path, {"level": 1}).json()["nsfw"] == 1
    assert call(client, world, "member", "PUT", path, {"level": 0}).status_code == 403
    assert call(client, world, "staff", "PUT", path, {"level": 2}).json()["nsfw"] == 2
    bad = call(client, world, "owner", "PUT", path, {"level": 7})
    assert bad.status_code == 422 and _error(bad)["code"] == "invalid_request"
    assert "level" in _error(bad)["details"]
    assert Work.objects.get(pk=world.work.id).nsfw == 2


@pytest.mark.django_db
def test_event_materials_by_the_organizer(client, world):
    path = f"/api/v1/events/{world.event.id}/materials"
    body = {"slides_url": "https://slides.example.com/t", "recording_url": ""}
    assert call(client, world, "member", "PATCH", path, body).status_code == 403
    saved = call(client, world, "staff", "PATCH", path, body)
    assert saved.json()["slides_url"] == "https://slides.example.com/t"
    bad = call(
        client, world, "staff", "PATCH", path, {"slides_url": "ftp://x", "recording_url": ""}
    )
    assert bad.status_code == 400 and "slides_url" in _error(bad)["details"]
    event = call(client, world, "anonymous", "GET", f"/api/v1/events/{world.event.id}").json()
    assert event["slides_url"] == "https://slides.example.com/t"


@pytest.mark.django_db
def test_staff_lists_cost_the_same_queries_with_more_rows(client, world, staff, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agora.api import webhooks
    from agora.api.models import WebhookDelivery
    from agora.api.tests.conftest import bearer
    from agora.forum import services as forum_services
    from agora.moderation import services as moderation_services

    urls = [
        "/api/v1/review-queue",
        "/api/v1/staff-log",
        "/api/v1/webhooks",
        f"/api/v1/webhooks/{world.webhook.id}/deliveries",
    ]
    headers = bearer(world.tokens["staff"])

    def counts() -> dict[str, int]:
        result = {}
        for url in urls:
            client.get(url, **headers)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, **headers).status_code == 200
            result[url] = len(queries)
        return result

    before = counts()
    for i in range(4):
        post = forum_services.create_post(author=alice, topic=world.topic, raw=f"Spam {i} here")
        moderation_services.flag_post(user=bob, post=post, reason="spam")
        moderation_services.log_action(actor=staff, action="test", post_id=post.id)
        webhooks.create_endpoint(
            actor=staff, url=f"https://h{i}.example.com/", events=["post.created"]
        )
        WebhookDelivery.objects.create(endpoint=world.webhook, event="ping", payload={"n": i})
    assert counts() == before
