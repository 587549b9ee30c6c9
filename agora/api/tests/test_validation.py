"""Bodies and limits: a body that is not the documented JSON object is refused with 422 by every
write operation and changes nothing; the forms' limits hold for the API too (one rule, in the
service or the model), and the schema declares them so generated clients know them."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.apps import apps

from agora.api.api import api
from agora.api.tests.conftest import call, known_path_values
from agora.forum import services as forum_services
from agora.forum.models import Draft

WRONG_BODIES = ([], [1], [None, None], None, "x", 1, True)
WRITE_METHODS = ("post", "put", "patch", "delete")


def _fingerprint() -> str:
    """Every row of every table (but a token's last use, which each request updates)."""
    digest = hashlib.sha256()
    for model in apps.get_models():
        rows = model.objects.order_by("pk").values()
        for row in rows:
            row.pop("last_used_at", None)
            digest.update(repr(sorted(row.items())).encode())
    return digest.hexdigest()


def _write_operations_with_a_body() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in WRITE_METHODS and "requestBody" in operation:
                found.append((method, path))
    return found


def _raw_body(value) -> str:
    import json

    return json.dumps(value)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["owner", "staff"])
def test_a_body_that_is_not_the_documented_object_is_refused_and_changes_nothing(
    client, world, alice, persona
):
    forum_services.save_draft(user=alice, key="new-topic", raw="My precious draft", title="Hi")
    operations = _write_operations_with_a_body()
    assert len(operations) >= 35  # every router's writes, found from the schema
    known = known_path_values(world)
    before = _fingerprint()
    answers = []
    for method, path in operations:
        url = re.sub(r"\{(\w+)\}", lambda m: str(known[m.group(1)]), path)
        for body in WRONG_BODIES:
            headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[persona]}"}
            response = getattr(client, method)(
                url, data=_raw_body(body), content_type="application/json", **headers
            )
            answers.append((method.upper(), path, body, response.status_code))
    wrong = [a for a in answers if not 400 <= a[3] < 500]
    assert not wrong, wrong
    json_bodies = [a for a in answers if a[3] == 422]
    assert len(json_bodies) >= len(answers) * 0.9  # the schema check, not a later rule
    assert _fingerprint() == before
    assert Draft.objects.get(user=alice, key="new-topic").raw == "My precious draft"


@pytest.mark.django_db
@pytest.mark.parametrize("body", WRONG_BODIES)
def test_a_list_does_not_discard_the_saved_draft(client, world, alice, body):
    forum_services.save_draft(user=alice, key="new-topic", raw="My precious draft", title="Hi")
    response = client.put(
        "/api/v1/drafts/new-topic",
        data=_raw_body(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {world.tokens['owner']}",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert Draft.objects.get(user=alice, key="new-topic").raw == "My precious draft"
    saved = call(client, world, "owner", "PUT", "/api/v1/drafts/new-topic", {"raw": "Changed"})
    assert saved.status_code == 200, saved.json()
    assert saved.json()["raw"] == "Changed"


# --- the schema: a valid OpenAPI document that declares the allowed values and lengths --------


def _schema() -> dict:
    return api.get_openapi_schema()


@pytest.mark.django_db
def test_the_served_schema_is_a_valid_openapi_document(client):
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    validate(served.json())  # raises with the JSON path of the first problem
    broken = {**served.json(), "paths": {"/x": {"get": {"responses": "none"}}}}
    with pytest.raises(OpenAPIValidationError):  # the validator does look
        validate(broken)


def _property(schema: dict, component: str, field: str) -> dict:
    prop = schema["components"]["schemas"][component]["properties"][field]
    for option in prop.get("anyOf", []):  # optional fields: the non-null alternative
        if option.get("type") != "null":
            return option
    return prop


def test_the_schema_declares_allowed_values():
    schema = _schema()
    assert _property(schema, "ReactionIn", "kind")["enum"] == ["like", "wow", "laugh"]
    assert _property(schema, "NsfwIn", "level")["enum"] == [0, 1, 2]
    assert _property(schema, "PreferencesIn", "gallery_max_nsfw")["enum"] == [0, 1, 2]
    assert _property(schema, "PreferencesIn", "language")["enum"] == ["", "en", "zh-hans"]
    assert set(_property(schema, "FlagIn", "reason")["enum"]) == {
        "spam",
        "off_topic",
        "inappropriate",
        "other",
    }
    assert set(_property(schema, "NotificationLevelIn", "level")["enum"]) == {
        "watching",
        "tracking",
        "normal",
        "muted",
    }
    assert set(_property(schema, "EventIn", "kind")["enum"]) == {
        "lecture",
        "seminar",
        "meetup",
        "hackathon",
    }
    assert _property(schema, "ResolveIn", "decision")["enum"] == [
        "agree",
        "agree_delete",
        "disagree",
    ]
    assert "artist" in _property(schema, "PartnerRequestIn", "role")["enum"]
    assert "paper" in _property(schema, "ResourceIn", "kind")["enum"]
    assert "topic.created" in _property(schema, "WebhookIn", "events")["items"]["enum"]
    periods = {
        p["name"]: p["schema"]
        for path, method in (("/api/v1/topics/top", "get"), ("/api/v1/launches", "get"))
        for p in schema["paths"][path][method]["parameters"]
        if p["name"] == "period"
    }
    assert periods["period"]["enum"] in (
        ["day", "week"],
        ["trending", "day", "week", "month", "year", "all"],
    )
    top = schema["paths"]["/api/v1/topics/top"]["get"]["parameters"]
    assert next(p for p in top if p["name"] == "period")["schema"]["enum"] == [
        "trending",
        "day",
        "week",
        "month",
        "year",
        "all",
    ]


def test_the_schema_declares_the_models_lengths():
    schema = _schema()
    assert _property(schema, "LaunchIn", "name")["maxLength"] == 120
    assert _property(schema, "LaunchIn", "description")["maxLength"] == 10_000
    assert _property(schema, "PartnerRequestIn", "description")["maxLength"] == 10_000
    assert _property(schema, "EventIn", "description")["maxLength"] == 20_000
    assert _property(schema, "TopicIn", "title") == {
        "maxLength": 200,
        "minLength": 5,
        "title": "Title",
        "type": "string",
    }
    assert _property(schema, "PostIn", "raw")["maxLength"] == 60_000
    assert _property(schema, "ArticleIn", "body")["maxLength"] == 200_000
    assert _property(schema, "CommentIn", "raw")["maxLength"] == 5000
    assert _property(schema, "ProfileIn", "display_name")["maxLength"] == 80
    assert _property(schema, "ProfileIn", "links")["maxItems"] == 8
    assert _property(schema, "GenerationIn", "count")["maximum"] == 1024
    upload = schema["paths"]["/api/v1/works"]["post"]["requestBody"]["content"]
    form = next(iter(upload.values()))["schema"]
    assert form["properties"]["title"]["maxLength"] == 200


# --- the limits: the same on the page and through the API --------------------------------------

LONG = "x" * 6000
HUGE = "y" * 300_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "body", "model", "field"),
    [
        (
            "/api/v1/launches",
            {
                "name": LONG,
                "tagline": "Samples fast",
                "description": "ok",
                "audience": "makers",
                "website": "https://example.com",
            },
            "showcase.Launch",
            "name",
        ),
        (
            "/api/v1/launches",
            {
                "name": "Tiny",
                "tagline": "Samples fast",
                "description": HUGE,
                "audience": "makers",
                "website": "https://example.com",
            },
            "showcase.Launch",
            "description",
        ),
        (
            "/api/v1/partner-requests",
            {
                "title": "Looking for a designer",
                "role": "artist",
                "description": HUGE,
            },
            "showcase.PartnerRequest",
            "description",
        ),
        (
            "/api/v1/partner-requests",
            {
                "title": LONG,
                "role": "artist",
                "description": "ok",
            },
            "showcase.PartnerRequest",
            "title",
        ),
        (
            "/api/v1/events",
            {
                "title": LONG,
                "description": "Talks",
                "starts_at": "2030-01-01T10:00:00Z",
                "ends_at": "2030-01-01T12:00:00Z",
                "venue": "Hall",
            },
            "events.Event",
            "title",
        ),
        (
            "/api/v1/events",
            {
                "title": "A long night",
                "description": "Talks",
                "starts_at": "2030-01-01T10:00:00Z",
                "ends_at": "2030-01-01T12:00:00Z",
                "venue": "Hall",
                "capacity": 10**20,
            },
            "events.Event",
            "capacity",
        ),
        (
            "/api/v1/resources",
            {
                "kind": "project",
                "title": LONG,
                "url": "https://example.com",
            },
            "learn.Resource",
            "title",
        ),
    ],
)
def test_over_long_input_is_refused_through_the_api_and_stores_nothing(
    client, world, path, body, model, field
):
    rows = apps.get_model(model).objects.count()
    response = call(client, world, "staff", "POST", path, body)
    assert response.status_code == 422, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert any(field in key for key in error["details"]), error["details"]
    assert apps.get_model(model).objects.count() == rows


@pytest.mark.django_db
def test_the_service_holds_the_same_limits_for_every_caller(world, staff, alice):
    """The page, the API and imports call these services: the limit is the model's, checked
    once."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from agora.events import services as event_services
    from agora.gallery import services as gallery_services
    from agora.learn import resources
    from agora.moderation import services as moderation_services
    from agora.showcase import services as showcase_services
    from agora.showcase.models import Launch, PartnerRequest

    start = timezone.now() + timezone.timedelta(days=3)
    attempts = {
        "name": lambda: showcase_services.create_launch(
            owner=alice,
            name=LONG,
            tagline="Samples fast",
            description="ok",
            audience="makers",
            website="https://example.com",
        ),
        "description": lambda: showcase_services.create_partner_request(
            author=alice,
            title="Looking for a designer",
            role="artist",
            description=HUGE,
            skills="",
            location="",
            remote=True,
            days=30,
        ),
        "title": lambda: event_services.create_event(
            organizer=staff,
            title=LONG,
            kind="lecture",
            description="Talks",
            starts_at=start,
            ends_at=start + timezone.timedelta(hours=2),
            tz="UTC",
            venue="Hall",
        ),
        "capacity": lambda: event_services.create_event(
            organizer=staff,
            title="A long night",
            kind="lecture",
            description="Talks",
            starts_at=start,
            ends_at=start + timezone.timedelta(hours=2),
            tz="UTC",
            venue="Hall",
            capacity=10**20,
        ),
        "slides_url": lambda: event_services.update_materials(
            actor=staff,
            event=world.event,
            slides_url="https://e.com/" + "a" * 300,
            recording_url="",
        ),
        "note": lambda: showcase_services.sign_up_to_try(
            user=staff, launch=world.launch, note=LONG, consent=True
        ),
        "message": lambda: moderation_services.flag_post(
            user=staff, post=world.reply, reason="other", message=LONG
        ),
        "raw": lambda: gallery_services.add_comment(user=alice, work=world.work, raw=LONG),
        "collection title": lambda: gallery_services.add_to_collection(
            user=alice, work=world.work, title=LONG
        ),
        "url": lambda: resources.add_resource(
            user=alice, kind="project", title="Tiny", url="https://e.com/" + "a" * 300
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ValidationError) as caught:
            attempt()
        assert "at most" in " ".join(caught.value.messages) or name == "capacity", name
    assert Launch.objects.count() == 1 and PartnerRequest.objects.count() == 1
    world.event.refresh_from_db()
    assert world.event.slides_url == ""


@pytest.mark.django_db
def test_the_launch_page_refuses_what_the_api_refuses(client, alice):
    client.force_login(alice)
    from agora.showcase.models import Launch

    response = client.post(
        "/launches/new/",
        {
            "name": "Tiny",
            "tagline": "Samples fast",
            "audience": "makers",
            "website": "https://example.com/" + "a" * 300,
            "description": "ok",
        },
    )
    assert response.status_code in (200, 400)
    assert "at most 200 characters" in response.content.decode()
    assert not Launch.objects.exists()
