"""Webhooks against a real HTTP receiver on loopback (allowed in tests, refused in production):
signed deliveries verified with the documented algorithm, retries, the log, the test button."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from agora.api import webhooks
from agora.api.models import WebhookDelivery, WebhookEndpoint
from agora.forum import services as forum_services


class Receiver:
    """Answers each POST with the next status in `statuses` (the last one repeats)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                index = min(len(receiver.requests), len(receiver.statuses)) - 1
                self.send_response(receiver.statuses[index])
                self.end_headers()
                self.wfile.write(b"thanks" if receiver.statuses[index] < 300 else b"broken")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(statuses: list[int]) -> Receiver:
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for r in made:
        r.close()


def verify_as_documented(secret: str, body: bytes, header: str) -> bool:
    """docs/api.md, "Verifying a delivery", line for line."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp, signature = fields["t"], fields["v1"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), signature)


@pytest.mark.django_db
def test_a_new_topic_is_delivered_signed(world, receiver, staff, alice, capture_commits):
    hook = receiver([200])
    endpoint = webhooks.create_endpoint(actor=staff, url=hook.url, events=["topic.created"])
    with capture_commits(execute=True):
        forum_services.create_topic(
            author=alice, category=world.lounge, title="Webhooks are here", raw="Hello hooks."
        )
    assert len(hook.requests) == 1
    headers, body = hook.requests[0]
    assert headers["X-Agora-Event"] == "topic.created"
    assert verify_as_documented(endpoint.secret, body, headers["X-Agora-Signature"])
    assert not verify_as_documented(endpoint.secret, body + b" ", headers["X-Agora-Signature"])
    assert not verify_as_documented("whsec_wrong", body, headers["X-Agora-Signature"])
    payload = json.loads(body)
    assert payload["event"] == "topic.created"
    assert payload["data"]["topic"]["title"] == "Webhooks are here"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 200)
    assert delivery.response_excerpt == "thanks"
    assert webhooks.verify(endpoint.secret, body, headers["X-Agora-Signature"])


@pytest.mark.django_db
def test_private_content_never_leaves(world, receiver, staff, alice, bob, capture_commits):
    hook = receiver([200])
    webhooks.create_endpoint(actor=staff, url=hook.url, events=["topic.created", "post.created"])
    with capture_commits(execute=True):
        forum_services.create_topic(
            author=alice, category=world.secret, title="Secret hooks", raw="Only insiders."
        )
        forum_services.create_post(author=bob, topic=world.pm, raw="Just between us two.")
        forum_services.create_post(author=bob, topic=world.topic, raw="A public reply here.")
    assert [json.loads(b)["event"] for _h, b in hook.requests] == ["post.created"]


@pytest.mark.django_db
def test_failures_are_retried_with_backoff_then_logged_as_failed(
    world, receiver, staff, alice, capture_commits
):
    hook = receiver([500, 503, 200])
    webhooks.create_endpoint(actor=staff, url=hook.url, events=["post.created"])
    with capture_commits(execute=True):
        forum_services.create_post(author=alice, topic=world.topic, raw="Retry me please.")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 3, 200)
    assert len(hook.requests) == 3
    signatures = {h["X-Agora-Signature"] for h, _b in hook.requests}
    assert len({b for _h, b in hook.requests}) == 1 and signatures  # the same body each time

    down = receiver([500])
    WebhookEndpoint.objects.update(url=down.url)
    with capture_commits(execute=True):
        forum_services.create_post(author=alice, topic=world.topic, raw="Nobody is listening.")
    failed = WebhookDelivery.objects.latest("id")
    assert failed.status == "failed" and failed.attempts == webhooks.MAX_ATTEMPTS
    assert failed.response_code == 500 and failed.response_excerpt == "broken"
    assert [webhooks.backoff_s(n) for n in (1, 2, 3, 5)] == [30, 60, 120, 480]


@pytest.mark.django_db
def test_only_http_urls_and_no_private_addresses_in_production(staff, settings):
    with pytest.raises(ValidationError):
        webhooks.create_endpoint(actor=staff, url="file:///etc/passwd", events=["post.created"])
    with pytest.raises(ValidationError):
        webhooks.create_endpoint(actor=staff, url="https://example.com", events=["nope"])
    settings.API_WEBHOOK_ALLOW_PRIVATE = False
    for url in (
        "http://127.0.0.1:8000/x",
        "http://localhost/x",
        "http://10.0.0.8/",
        "http://[::1]/",
    ):
        with pytest.raises(ValidationError, match="private or local"):
            webhooks.create_endpoint(actor=staff, url=url, events=["post.created"])
    with pytest.raises(PermissionDenied):
        webhooks.create_endpoint(
            actor=AnonymousUser(), url="https://example.com", events=["post.created"]
        )
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_a_delivery_to_a_host_that_turned_private_is_refused(staff, receiver, settings):
    hook = receiver([200])
    endpoint = webhooks.create_endpoint(actor=staff, url=hook.url, events=["post.created"])
    settings.API_WEBHOOK_ALLOW_PRIVATE = False
    delivery = webhooks.send_test(actor=staff, endpoint=endpoint)
    webhooks.attempt(delivery_id=delivery.id)
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "private" in delivery.error and not hook.requests


@pytest.mark.django_db
def test_staff_page_registers_shows_secret_and_sends_a_test_event(
    client, staff, alice, receiver, capture_commits
):
    hook = receiver([204])
    client.force_login(alice)
    assert client.get("/api/webhooks/").status_code == 403
    client.force_login(staff)
    bad = client.post("/api/webhooks/", {"url": "gopher://x", "events": ["post.created"]})
    assert bad.status_code == 400 and not WebhookEndpoint.objects.exists()
    created = client.post("/api/webhooks/", {"url": hook.url, "events": ["work.published"]})
    endpoint = WebhookEndpoint.objects.get()
    page = client.get(created["Location"]).content.decode()
    assert endpoint.secret in page
    with capture_commits(execute=True):
        client.post(f"/api/webhooks/{endpoint.id}/test/")
    headers, body = hook.requests[0]
    assert headers["X-Agora-Event"] == "ping"
    assert verify_as_documented(endpoint.secret, body, headers["X-Agora-Signature"])
    log = client.get(f"/api/webhooks/{endpoint.id}/").content.decode()
    assert "delivery-delivered" in log and "204" in log
    client.post(f"/api/webhooks/{endpoint.id}/", {"action": "disable"})
    endpoint.refresh_from_db()
    assert endpoint.active is False


@pytest.mark.django_db
def test_works_and_events_are_announced(world, receiver, staff, alice, capture_commits):
    from datetime import timedelta

    from django.utils import timezone

    from agora.events.models import Event
    from agora.gallery.models import Work

    hook = receiver([200])
    webhooks.create_endpoint(actor=staff, url=hook.url, events=["work.published", "event.created"])
    with capture_commits(execute=True):
        for private in (True, False):
            work = Work(author=alice, title="Hooked", width=1, height=1, private=private)
            work.save()
        start = timezone.now() + timedelta(days=1)
        Event.objects.create(
            title="Hook night",
            description="x",
            description_html="x",
            organizer=staff,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            timezone="UTC",
        )
    events = [json.loads(b)["event"] for _h, b in hook.requests]
    assert events == ["work.published", "event.created"]


@pytest.fixture
def capture_commits(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.mark.django_db
def test_a_completed_public_run_is_announced(receiver, staff, alice, capture_commits):
    from agora.lab.services import runs as run_services

    hook = receiver([200])
    webhooks.create_endpoint(actor=staff, url=hook.url, events=["run.completed"])
    with capture_commits(execute=True):
        run = run_services.create_run(
            owner=alice,
            title="Hooked moons",
            family="diffusion",
            dataset="moons",
            preset="quick",
            steps=10,
        )
    payload = json.loads(hook.requests[0][1])
    assert payload["event"] == "run.completed" and payload["data"]["run"]["id"] == run.id


@pytest.fixture
def _fast_retries(monkeypatch):
    monkeypatch.setenv("AGORA_WEBHOOK_RETRY_BASE_S", "1")  # read by the worker's settings


@pytest.mark.worker
def test_a_real_worker_retries_a_failed_delivery_later(
    _fast_retries, celery_worker_process, receiver, staff
):
    from django.db import transaction

    from agora.conftest import wait_for

    hook = receiver([503, 200])
    webhooks.create_endpoint(actor=staff, url=hook.url, events=["post.created"])
    with transaction.atomic():
        webhooks.dispatch("post.created", {"post": {"id": 1}})
    delivery = WebhookDelivery.objects.get()
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == "delivered",
        timeout=60,
        what="the retried delivery",
    )
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_code == 200
    assert [json.loads(b)["id"] for _h, b in hook.requests] == [delivery.payload["id"]] * 2


@pytest.mark.django_db
def test_staff_manage_webhooks_through_the_api(client, world, receiver, capture_commits):
    from agora.api.tests.conftest import call

    hook = receiver([200])
    refused = call(
        client,
        world,
        "owner",
        "POST",
        "/api/v1/webhooks",
        {"url": hook.url, "events": ["topic.created"]},
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    bad = call(
        client,
        world,
        "staff",
        "POST",
        "/api/v1/webhooks",
        {"url": "gopher://x", "events": ["nothing.happened"]},
    )
    assert bad.status_code == 422  # not one of the schema's events
    assert set(bad.json()["error"]["details"]) == {"events.0"}
    bad = call(
        client,
        world,
        "staff",
        "POST",
        "/api/v1/webhooks",
        {"url": "gopher://x", "events": ["post.created"]},
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"url"}
    created = call(
        client,
        world,
        "staff",
        "POST",
        "/api/v1/webhooks",
        {"url": hook.url, "events": ["post.created"], "description": "Bot"},
    )
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and endpoint["active"] is True
    listed = call(client, world, "staff", "GET", "/api/v1/webhooks").json()["items"]
    assert endpoint["id"] in {e["id"] for e in listed}
    path = f"/api/v1/webhooks/{endpoint['id']}"
    unchanged = call(client, world, "staff", "PATCH", path, {"url": "http://user:pw@x.test/"})
    assert unchanged.status_code == 400
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).url == hook.url
    updated = call(client, world, "staff", "PATCH", path, {"events": ["topic.created"]})
    assert updated.json()["events"] == ["topic.created"]
    assert updated.json()["secret"] == endpoint["secret"]

    with capture_commits(execute=True):
        sent = call(client, world, "staff", "POST", f"{path}/test")
    assert sent.status_code == 201 and sent.json()["event"] == "ping"
    headers, body = hook.requests[0]
    assert verify_as_documented(endpoint["secret"], body, headers["X-Agora-Signature"])
    log = call(client, world, "staff", "GET", f"{path}/deliveries").json()["items"]
    assert [(d["event"], d["status"], d["response_code"]) for d in log] == [
        ("ping", "delivered", 200)
    ]
    assert call(client, world, "member", "GET", f"{path}/deliveries").status_code == 403

    disabled = call(client, world, "staff", "PATCH", path, {"active": False})
    assert disabled.json()["active"] is False
    with capture_commits(execute=True):
        forum_services.create_topic(
            author=world.people["owner"], category=world.lounge, title="Quiet now", raw="Hello."
        )
    assert len(hook.requests) == 1  # a disabled endpoint gets nothing
    assert call(client, world, "staff", "DELETE", path).status_code == 204
    assert not WebhookEndpoint.objects.filter(pk=endpoint["id"]).exists()
    assert call(client, world, "staff", "GET", path).status_code == 404


@pytest.mark.django_db
def test_the_sweep_sends_a_delivery_whose_wake_was_lost_or_whose_worker_died_once(staff, receiver):
    from datetime import timedelta

    from django.utils import timezone

    hook = receiver([204, 204])
    endpoint = webhooks.create_endpoint(actor=staff, url=hook.url, events=["post.created"])
    delivery = webhooks.send_test(actor=staff, endpoint=endpoint)  # never committed: no wake
    assert webhooks.sweep() == []  # just queued: its wake may still be on the way
    long_ago = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.update(created_at=long_ago, claimed_at=timezone.now())
    assert webhooks.sweep() == []  # a live worker holds it
    assert webhooks.attempt(delivery_id=delivery.id) is None  # a second copy does nothing
    assert not hook.requests

    WebhookDelivery.objects.update(claimed_at=long_ago)  # that worker died mid-attempt
    assert webhooks.sweep() == [delivery.id]
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.claimed_at is None
    assert webhooks.sweep() == [] and len(hook.requests) == 1
