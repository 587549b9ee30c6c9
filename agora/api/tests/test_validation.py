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
