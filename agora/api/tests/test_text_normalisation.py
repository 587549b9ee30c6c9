"""Text from the JSON API is stored normalised like text from page forms, and JSON answers stay
valid whatever an older row holds."""

from __future__ import annotations

import json

import pytest

from agora.api.tests.conftest import bearer
from agora.forum.models import Post, Topic


@pytest.mark.django_db
def test_api_text_is_normalised_on_the_way_in(client, world):
    title, raw = "Bell\u0007 and\u001b title", "a\r\nb\u0001c e\u0301"
    body = json.dumps({"category": "lounge", "title": title, "raw": raw})
    response = client.post(
        "/api/v1/topics", body, content_type="application/json", **bearer(world.tokens["owner"])
    )
    assert response.status_code == 201, response.content
    topic = Topic.objects.get(pk=response.json()["id"])
    assert topic.title == "Bell and title"
    assert topic.posts.get().raw == "a\nbc \u00e9"


@pytest.mark.django_db
def test_json_answers_escape_control_characters_already_stored(client, world):
    topic = Topic.objects.get(title="Sampling schedules")
    Post.objects.filter(topic=topic).update(raw="x\u0001y", html="<p>x\u0001y\u001f</p>")
    response = client.get(f"/api/v1/topics/{topic.id}/posts", **bearer(world.tokens["owner"]))
    assert response.status_code == 200
    assert b"\x01" not in response.content and b"\x1f" not in response.content
    # Escaped as \u0001 by the JSON encoder and read back as the same text.
    assert b"\\u0001" in response.content
    assert any(item.get("raw") == "x\u0001y" for item in response.json()["items"])
