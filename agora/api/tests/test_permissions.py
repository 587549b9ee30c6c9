"""Every endpoint × the five personas: owner (alice), member (bob: in the private category's
group and the private message), stranger (charlie), anonymous, staff. Each cell is the status
code that persona gets, through a read+write token (anonymous: no credentials)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from agora.api.models import ApiToken
from agora.api.tests.conftest import PERSONAS, bearer


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


# (method, path, JSON body or None, statuses for owner, member, stranger, anonymous, staff)
MATRIX = [
    ("GET", "/categories", None, (200, 200, 200, 200, 200)),
    ("GET", "/categories/secret", None, (200, 200, 404, 404, 200)),
    ("GET", "/topics", None, (200, 200, 200, 200, 200)),
    ("GET", "/topics?category=secret", None, (200, 200, 404, 404, 200)),
    ("GET", "/topics/{w.topic.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/topics/{w.secret_topic.id}", None, (200, 200, 404, 404, 200)),
    ("GET", "/topics/{w.pm.id}", None, (200, 200, 404, 404, 200)),
    ("GET", "/topics/{w.topic.id}/posts", None, (200, 200, 200, 200, 200)),
    ("GET", "/topics/{w.pm.id}/posts", None, (200, 200, 404, 404, 200)),
    ("GET", "/posts/{w.reply.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/tags", None, (200, 200, 200, 200, 200)),
    ("GET", "/members", None, (200, 200, 200, 200, 200)),
    ("GET", "/members/alice", None, (200, 200, 200, 200, 200)),
    ("GET", "/members?prefix=ali", None, (200, 200, 200, 200, 200)),
    ("GET", "/search?q=cosine", None, (200, 200, 200, 200, 200)),
    ("GET", "/works", None, (200, 200, 200, 200, 200)),
    ("GET", "/works/{w.work.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/works/{w.private_work.id}", None, (200, 404, 404, 404, 200)),
    ("GET", "/runs", None, (200, 200, 200, 200, 200)),
    ("GET", "/runs/{w.public_run.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/runs/{w.private_run.id}", None, (200, 404, 404, 404, 200)),
    ("GET", "/models", None, (200, 200, 200, 200, 200)),
    ("GET", "/models/{w.public_model.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/models/{w.private_model.id}", None, (200, 404, 404, 404, 200)),
    ("GET", "/generations/{w.generation.id}", None, (200, 404, 404, 404, 200)),
    ("GET", "/models/{w.private_model.id}/generations", None, (200, 404, 404, 404, 200)),
    ("GET", "/models/{w.public_model.id}/generations", None, (200, 200, 200, 200, 200)),
    ("GET", "/text-generations", None, (200, 200, 200, 200, 200)),
    ("GET", "/text-generations?mine=true", None, (200, 200, 200, 200, 200)),
    ("GET", "/datasets", None, (200, 200, 200, 401, 200)),
    ("GET", "/events", None, (200, 200, 200, 200, 200)),
    ("GET", "/events/{w.event.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/launches", None, (200, 200, 200, 200, 200)),
    ("GET", "/launches/{w.launch.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/partner-requests", None, (200, 200, 200, 200, 200)),
    ("GET", "/partner-requests/{w.partner.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/me", None, (200, 200, 200, 401, 200)),
    ("GET", "/tokens", None, (200, 200, 200, 401, 200)),
    (
        "POST",
        "/topics",
        {"category": "lounge", "title": "A new question", "raw": "What is a good sampler?"},
        (201, 201, 201, 401, 201),
    ),
    (
        "POST",
        "/topics",
        {"category": "secret", "title": "A new plan here", "raw": "For insiders only."},
        (201, 201, 404, 401, 201),
    ),
    (
        "POST",
        "/topics/{w.topic.id}/posts",
        {"raw": "I agree with that."},
        (201, 201, 201, 401, 201),
    ),
    ("POST", "/topics/{w.pm.id}/posts", {"raw": "Replying privately."}, (201, 201, 404, 401, 201)),
    ("PATCH", "/posts/{w.reply.id}", {"raw": "Cosine, mostly."}, (403, 200, 403, 401, 200)),
    ("DELETE", "/posts/{w.reply.id}", None, (403, 200, 403, 401, 200)),
    ("POST", "/posts/{w.reply.id}/like", None, (200, 403, 200, 401, 200)),
    ("DELETE", "/posts/{w.reply.id}/like", None, (200, 200, 200, 401, 200)),
    ("POST", "/works/{w.work.id}/reactions", {"kind": "like"}, (200, 200, 200, 401, 200)),
    ("POST", "/works/{w.private_work.id}/comments", {"raw": "Nice"}, (201, 404, 404, 401, 201)),
    ("POST", "/works", "upload", (201, 201, 201, 401, 201)),
    (
        "POST",
        "/runs",
        {"family": "diffusion", "dataset": "moons", "steps": 20},
        (201, 201, 201, 401, 201),
    ),
    (  # a fine-tune of a model the caller may see; a private model is its owner's (and staff's)
        "POST",
        "/runs",
        {"family": "diffusion", "dataset": "swissroll", "base_model": "{w.public_model.id}"},
        (201, 201, 201, 401, 201),
    ),
    (
        "POST",
        "/runs",
        {"family": "diffusion", "dataset": "swissroll", "base_model": "{w.private_model.id}"},
        (201, 404, 404, 401, 201),
    ),
    (  # frozen blocks and a learning rate: the same rule (a points model's MLP has 3 blocks)
        "POST",
        "/runs",
        {
            "family": "diffusion",
            "dataset": "swissroll",
            "base_model": "{w.private_model.id}",
            "freeze_blocks": 3,
            "lr": 3e-4,
        },
        (201, 404, 404, 401, 201),
    ),
    ("POST", "/runs/{w.queued_run.id}/cancel", None, (200, 403, 403, 401, 200)),
    ("POST", "/models/{w.public_model.id}/star", None, (200, 200, 200, 401, 200)),
    (
        "POST",
        "/models/{w.private_model.id}/generations",
        {"sampler": "ddim", "steps": 5, "seed": 3},
        (201, 404, 404, 401, 201),
    ),
    (  # the world's models draw points: writing text is refused (400) to those who may see it
        "POST",
        "/models/{w.private_model.id}/text-generations",
        {"prompt": "", "seed": 1},
        (400, 404, 404, 401, 400),
    ),
    ("POST", "/events/{w.event.id}/rsvp", None, (200, 200, 200, 401, 200)),
    ("DELETE", "/events/{w.event.id}/rsvp", None, (200, 200, 200, 401, 200)),
    ("POST", "/launches/{w.launch.id}/upvote", None, (400, 200, 200, 401, 200)),
    ("POST", "/partner-requests/{w.partner.id}/close", None, (200, 403, 403, 401, 200)),
    ("DELETE", "/tokens/{owner_token}", None, (200, 404, 404, 401, 404)),
    (
        "POST",
        "/messages",
        {"recipients": ["alice", "charlie"], "title": "Hello there", "raw": "A quick word."},
        (201, 201, 201, 401, 201),
    ),
    ("POST", "/posts/{w.reply.id}/bookmark", None, (200, 200, 200, 401, 200)),
    ("POST", "/posts/{w.answer.id}/accept", None, (200, 403, 403, 401, 200)),
    ("POST", "/works/{w.work.id}/collections", {"title": "Favourites"}, (200, 200, 200, 401, 200)),
    (
        "POST",
        "/works/{w.private_work.id}/collections",
        {"title": "Mine"},
        (200, 404, 404, 401, 200),
    ),
    ("POST", "/datasets", "dataset", (201, 201, 201, 401, 201)),
    ("POST", "/runs/{w.failed_run.id}/resume", None, (200, 403, 403, 401, 200)),
    ("POST", "/runs/{w.private_run.id}/publish", {"name": "Again"}, (400, 404, 404, 401, 400)),
    ("POST", "/generations/{w.generation.id}/reproduce", None, (201, 404, 404, 401, 201)),
    ("POST", "/generations/{w.generation.id}/share", {"index": 0}, (400, 404, 404, 401, 403)),
    (
        "POST",
        "/events",
        {
            "title": "Sampling clinic",
            "description": "Bring your schedules.",
            "starts_at": "2030-05-01T18:00:00",
            "ends_at": "2030-05-01T20:00:00",
            "timezone": "Asia/Shanghai",
            "venue": "Library",
        },
        (403, 403, 403, 401, 201),
    ),
    (
        "POST",
        "/launches",
        {
            "name": "Seed finder",
            "tagline": "Find good seeds",
            "description": "It finds seeds.",
            "audience": "Prompt artists",
            "website": "https://seeds.example.com",
        },
        (201, 201, 201, 401, 201),
    ),
    ("POST", "/launches/{w.launch.id}/signups", {"consent": True}, (201, 201, 201, 401, 201)),
    (
        "POST",
        "/partner-requests",
        {"title": "Looking for a painter", "role": "artist", "description": "Let us paint."},
        (201, 201, 201, 401, 201),
    ),
    # --- the caller's own settings, notifications, bookmarks, drafts
    ("GET", "/me/profile", None, (200, 200, 200, 401, 200)),
    (
        "PATCH",
        "/me/profile",
        {"display_name": "New name", "links": ["https://example.com"], "skills": ["PyTorch"]},
        (200, 200, 200, 401, 200),
    ),
    (
        "PATCH",
        "/me/preferences",
        {"language": "zh-hans", "timezone": "Asia/Shanghai", "gallery_max_nsfw": 1},
        (200, 200, 200, 401, 200),
    ),
    ("POST", "/me/avatar", "avatar", (200, 200, 200, 401, 200)),
    ("DELETE", "/me/avatar", None, (200, 200, 200, 401, 200)),
    ("GET", "/me/email-settings", None, (200, 200, 200, 401, 200)),
    ("PATCH", "/me/email-settings", {"email_on_reply": False}, (200, 200, 200, 401, 200)),
    ("GET", "/notifications", None, (200, 200, 200, 401, 200)),
    ("POST", "/notifications/{w.notification.id}/read", None, (200, 404, 404, 401, 404)),
    ("POST", "/notifications/read-all", None, (200, 200, 200, 401, 200)),
    ("GET", "/bookmarks", None, (200, 200, 200, 401, 200)),
    ("GET", "/drafts", None, (200, 200, 200, 401, 200)),
    ("GET", "/drafts/new-topic", None, (200, 200, 200, 401, 200)),
    ("PUT", "/drafts/reply-{w.topic.id}", {"raw": "Half a thought"}, (200, 200, 200, 401, 200)),
    ("DELETE", "/drafts/new-topic", None, (200, 200, 200, 401, 200)),
    # --- notification levels, revisions, composer uploads
    ("GET", "/topics/{w.topic.id}/notification-level", None, (200, 200, 200, 401, 200)),
    ("GET", "/topics/{w.pm.id}/notification-level", None, (200, 200, 404, 401, 200)),
    (
        "PUT",
        "/topics/{w.topic.id}/notification-level",
        {"level": "watching"},
        (200, 200, 200, 401, 200),
    ),
    (
        "PUT",
        "/topics/{w.secret_topic.id}/notification-level",
        {"level": "muted"},
        (200, 200, 404, 401, 200),
    ),
    ("GET", "/categories/lounge/notification-level", None, (200, 200, 200, 401, 200)),
    (
        "PUT",
        "/categories/secret/notification-level",
        {"level": "watching"},
        (200, 200, 404, 401, 200),
    ),
    ("GET", "/posts/{w.reply.id}/revisions", None, (200, 200, 200, 200, 200)),
    ("POST", "/uploads", "image", (201, 201, 201, 401, 201)),
    # --- moderation
    ("POST", "/posts/{w.reply.id}/flags", {"reason": "spam"}, (201, 400, 201, 401, 201)),
    # the deleted post is the stranger's own: they still see it (403), others do not (404)
    ("POST", "/posts/{w.deleted.id}/restore", None, (404, 404, 403, 401, 200)),
    ("POST", "/topics/{w.topic.id}/state", {"closed": True}, (403, 403, 403, 401, 200)),
    ("POST", "/topics/{w.topic.id}/move", {"category": "qa"}, (403, 403, 403, 401, 200)),
    ("GET", "/review-queue", None, (403, 403, 403, 401, 200)),
    (
        "POST",
        "/review-queue/{w.flagged.id}",
        {"decision": "disagree"},
        (403, 403, 403, 401, 200),
    ),
    ("GET", "/staff-log", None, (403, 403, 403, 401, 200)),
    ("PUT", "/works/{w.work.id}/nsfw", {"level": 1}, (200, 403, 403, 401, 200)),
    ("PUT", "/works/{w.private_work.id}/nsfw", {"level": 2}, (200, 404, 404, 401, 200)),
    (
        "PATCH",
        "/events/{w.event.id}/materials",
        {"slides_url": "https://slides.example.com/talk"},
        (403, 403, 403, 401, 200),
    ),
    # --- webhooks (staff)
    ("GET", "/webhooks", None, (403, 403, 403, 401, 200)),
    (
        "POST",
        "/webhooks",
        {"url": "https://hooks.example.com/new", "events": ["topic.created", "post.created"]},
        (403, 403, 403, 401, 201),
    ),
    ("GET", "/webhooks/{w.webhook.id}", None, (403, 403, 403, 401, 200)),
    ("PATCH", "/webhooks/{w.webhook.id}", {"active": False}, (403, 403, 403, 401, 200)),
    ("DELETE", "/webhooks/{w.webhook.id}", None, (403, 403, 403, 401, 204)),
    ("GET", "/webhooks/{w.webhook.id}/deliveries", None, (403, 403, 403, 401, 200)),
    ("POST", "/webhooks/{w.webhook.id}/test", None, (403, 403, 403, 401, 201)),
    # --- more lists and the composer's helpers
    ("GET", "/topics/new", None, (200, 200, 200, 200, 200)),
    ("GET", "/topics/unread", None, (200, 200, 200, 401, 200)),
    ("GET", "/topics/top?period=all", None, (200, 200, 200, 200, 200)),
    ("GET", "/messages", None, (200, 200, 200, 401, 200)),
    ("POST", "/preview", {"raw": "**bold** move"}, (200, 200, 200, 401, 200)),
    ("GET", "/collections/{w.collection.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/collections/{w.private_collection.id}", None, (200, 404, 404, 404, 404)),
    ("GET", "/launches/{w.launch.id}/signups", None, (200, 403, 403, 401, 403)),
    ("POST", "/runs/{w.public_run.id}/share", {}, (200, 200, 200, 401, 200)),
    ("POST", "/runs/{w.private_run.id}/share", {}, (403, 404, 404, 401, 403)),
    # --- challenges and contests (others' runs are refused; a private run is not found)
    ("GET", "/challenges", None, (200, 200, 200, 200, 200)),
    ("GET", "/challenges/{w.challenge.id}", None, (200, 200, 200, 200, 200)),
    ("GET", "/challenges/{w.challenge.id}/leaderboard", None, (200, 200, 200, 200, 200)),
    (
        "POST",
        "/challenges/{w.challenge.id}/submissions",
        {"run": "{w.public_run.id}"},
        (400, 403, 403, 401, 403),
    ),
    ("GET", "/contests", None, (200, 200, 200, 200, 200)),
    ("GET", "/contests/{w.contest.id}", None, (200, 200, 200, 200, 200)),
    # --- learn
    ("GET", "/articles", None, (200, 200, 200, 200, 200)),
    ("GET", "/articles/{w.article.slug}", None, (200, 200, 200, 200, 200)),
    (
        "POST",
        "/articles",
        {
            "title": "Guidance, gently",
            "body": "Classifier-free guidance mixes two predictions. " * 3,
            "difficulty": "beginner",
            "language": "en",
            "area": "diffusion",
        },
        (201, 201, 201, 401, 201),
    ),
    (
        "PATCH",
        "/articles/{w.article.slug}",
        {"title": "Noise schedules, explained", "body": "## Linear\n\nStill the first."},
        (200, 403, 403, 401, 200),
    ),
    ("GET", "/articles/{w.article.slug}/revisions", None, (200, 200, 200, 200, 200)),
    ("POST", "/articles/import", "markdown", (201, 201, 201, 401, 201)),
    ("GET", "/resources", None, (200, 200, 200, 200, 200)),
    ("GET", "/resources/{w.resource.id}", None, (200, 200, 200, 200, 200)),
    (
        "POST",
        "/resources",
        {"kind": "project", "title": "Seed hunter", "url": "https://github.com/example/seeds"},
        (201, 201, 201, 401, 201),
    ),
    ("POST", "/resources/{w.resource.id}/use", None, (200, 200, 200, 401, 200)),
    ("DELETE", "/resources/{w.resource.id}/use", None, (200, 200, 200, 401, 200)),
]


def _request(client, world, persona: str, method: str, path: str, body):
    owner_token = ApiToken.objects.get(user=world.people["owner"]).id
    url = "/api/v1" + path.format(w=world, owner_token=owner_token)
    headers = bearer(world.tokens[persona]) if persona != "anonymous" else {}
    if body == "dataset":
        archive = SimpleUploadedFile("faces.zip", b"PK\x05\x06" + b"\0" * 18)
        return client.post(url, {"archive": archive, "name": f"set-{persona}"}, **headers)
    if body == "markdown":
        text = (
            f"---\ntitle: Imported by {persona}\narea: gan\n---\n\n"
            "GANs in one page: a generator and a critic."
        )
        upload = SimpleUploadedFile("gan.md", text.encode(), content_type="text/markdown")
        return client.post(url, {"file": upload}, **headers)
    if body in ("avatar", "image"):
        image = SimpleUploadedFile("face.png", png(), content_type="image/png")
        return client.post(url, {body: image}, **headers)
    if body == "upload":
        image = SimpleUploadedFile("cat.png", png(), content_type="image/png")
        return client.post(url, {"image": image, "title": "A red square"}, **headers)
    if isinstance(body, dict):  # ids of the world's rows: "{w.public_run.id}"
        body = {k: v.format(w=world) if isinstance(v, str) else v for k, v in body.items()}
    if body is not None:
        return getattr(client, method.lower())(
            url, data=body, content_type="application/json", **headers
        )
    return getattr(client, method.lower())(url, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(client, world, persona, settings):
    """One world per persona; each row runs in a savepoint rolled back afterwards, so no row
    sees another's writes. (More rows than the anonymous rate limit allows a minute: the limit
    has its own test.)"""
    settings.API_ANONYMOUS_RATE_LIMIT = (10_000, 60)
    column = PERSONAS.index(persona)
    wrong = []
    for method, path, body, statuses in MATRIX:
        with transaction.atomic():
            response = _request(client, world, persona, method, path, body)
            transaction.set_rollback(True)
        expected = statuses[column]
        if response.status_code != expected:
            wrong.append(f"{method} {path}: {response.status_code} != {expected}")
        elif expected >= 400:
            error = response.json()["error"]
            assert set(error) == {"code", "message", "details"} and error["message"]
    assert not wrong, wrong


def test_matrix_covers_every_operation():
    """A new endpoint without a row here fails this test."""
    from agora.api.api import api

    schema = api.get_openapi_schema(path_prefix="")
    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    covered = {
        (method, path.split("?")[0].replace("{w.", "{").replace("{owner_token}", "{token_id}"))
        for method, path, _body, _statuses in MATRIX
    }
    normalised = set()
    for method, path in operations:
        normalised.add((method, path))
    missing = []
    for method, path in sorted(normalised):
        template = path.rstrip("/")
        if not any(m == method and _same_shape(p, template) for m, p in covered):
            missing.append(f"{method} {path}")
    assert not missing, missing


def _same_shape(mine: str, schema_path: str) -> bool:
    a, b = mine.strip("/").split("/"), schema_path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or y.startswith("{") for x, y in zip(a, b, strict=True))
