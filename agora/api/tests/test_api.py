"""What a script or a browser notices: token scopes and revocation, CSRF for the session, rate
limits, ETags, cursor pages, the error shape, and the forum's visibility rules."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from agora.api import tokens
from agora.api.models import ApiToken
from agora.api.tests.conftest import bearer
from agora.forum import services as forum_services
from agora.forum.models import Post, Topic


def _topic(client, headers, **overrides):
    body = {"category": "lounge", "title": "Guidance scale", "raw": "What value do you use?"}
    return client.post(
        "/api/v1/topics", {**body, **overrides}, content_type="application/json", **headers
    )


@pytest.mark.django_db
def test_a_token_is_shown_once_stored_hashed_and_listed_by_prefix(alice):
    token, raw = tokens.create_token(user=alice, name="my script", scopes=["read"])
    assert raw.startswith("agora_") and len(raw) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw not in (stored.digest, stored.prefix) and raw.startswith(stored.prefix)
    assert stored.digest == tokens.digest_of(raw)
    client = Client()
    listed = client.get("/api/v1/tokens", **bearer(raw)).json()
    assert [t["prefix"] for t in listed] == [stored.prefix] and "digest" not in listed[0]
    assert client.get("/api/v1/me", **bearer(raw)).json()["username"] == "alice"


@pytest.mark.django_db
def test_token_page_creates_shows_once_and_revokes(alice_client, alice):
    page = alice_client.get("/api/tokens/")
    assert page.status_code == 200 and "API tokens" in page.content.decode()
    created = alice_client.post("/api/tokens/", {"name": "cron", "scopes": ["read", "write"]})
    html = created.content.decode()
    token = ApiToken.objects.get(user=alice)
    raw = html.split('<code id="new-token">')[1].split("</code>")[0]
    assert tokens.digest_of(raw) == token.digest and "shown only once" in html
    assert raw not in alice_client.get("/api/tokens/").content.decode()  # never again
    bad = alice_client.post("/api/tokens/", {"name": "", "scopes": []})
    assert bad.status_code == 400 and ApiToken.objects.count() == 1
    alice_client.post(f"/api/tokens/{token.id}/revoke/")
    refused = Client().get("/api/v1/me", **bearer(raw))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"


@pytest.mark.django_db
def test_read_scope_cannot_write_and_write_scope_cannot_read(client, world, alice):
    _token, read_only = tokens.create_token(user=alice, name="r", scopes=["read"])
    refused = _topic(client, bearer(read_only))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "insufficient_scope"
    assert not Topic.objects.filter(title="Guidance scale").exists()
    _token, write_only = tokens.create_token(user=alice, name="w", scopes=["write"])
    assert client.get("/api/v1/topics", **bearer(write_only)).status_code == 403
    assert _topic(client, bearer(write_only)).status_code == 201


@pytest.mark.django_db
def test_a_revoked_or_unknown_token_is_refused_not_treated_as_anonymous(client, world, alice):
    token = ApiToken.objects.get(user=alice)
    tokens.revoke_token(user=alice, token=token)
    response = client.get("/api/v1/topics", **bearer(world.tokens["owner"]))
    assert response.status_code == 401
    assert client.get("/api/v1/topics", **bearer("agora_nope")).status_code == 401
    malformed = client.get("/api/v1/topics", HTTP_AUTHORIZATION="Basic abc")
    assert malformed.status_code == 401
    assert set(malformed.json()["error"]) == {"code", "message", "details"}


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(world, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.get("/api/v1/me").json()["username"] == "alice"
    refused = _topic(browser, {})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    browser.get("/api/tokens/")  # any page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    assert _topic(browser, {"HTTP_X_CSRFTOKEN": csrf}).status_code == 201
    # A token needs no CSRF token: it is not sent automatically by browsers.
    assert (
        _topic(
            Client(enforce_csrf_checks=True),
            bearer(world.tokens["member"]),
            title="Another guidance question",
        ).status_code
        == 201
    )


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(client, world, settings):
    settings.API_RATE_LIMIT = (3, 60)
    settings.API_ANONYMOUS_RATE_LIMIT = (2, 60)
    headers = bearer(world.tokens["owner"])
    statuses = [client.get("/api/v1/categories", **headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/categories", **headers)
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert limited.json()["error"]["code"] == "rate_limited"
    # Another token has its own budget; anonymous callers share one per address.
    assert client.get("/api/v1/categories", **bearer(world.tokens["member"])).status_code == 200
    anonymous = [client.get("/api/v1/categories").status_code for _ in range(3)]
    assert anonymous == [200, 200, 429]


@pytest.mark.django_db
def test_etag_gives_304_until_the_resource_changes(client, world, bob):
    url = f"/api/v1/topics/{world.topic.id}/posts"
    first = client.get(url)
    etag = first["ETag"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    forum_services.create_post(author=bob, topic=world.topic, raw="A third opinion.")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.django_db
def test_cursor_pages_walk_every_topic_once_in_constant_queries(
    client, world, alice, django_assert_max_num_queries
):
    for n in range(7):
        forum_services.create_topic(
            author=alice, category=world.lounge, title=f"Topic number {n}", raw=f"Body {n} here"
        )
    headers = bearer(world.tokens["owner"])
    seen, cursor, pages = [], None, 0
    while True:
        url = "/api/v1/topics?limit=3" + (f"&cursor={cursor}" if cursor else "")
        with django_assert_max_num_queries(20):  # 9 of them: the database cache (rate limit)
            page = client.get(url, **headers).json()
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    visible = Topic.objects.filter(is_private=False).count()  # alice also sees "secret"
    assert len(seen) == len(set(seen)) == visible and pages == 4


@pytest.mark.django_db
def test_hidden_and_deleted_posts_keep_their_text_from_others(client, world, alice, staff):
    Post.objects.filter(pk=world.reply.pk).update(hidden=True)
    url = f"/api/v1/posts/{world.reply.id}"
    assert client.get(url).json()["raw"] is None  # anonymous
    assert client.get(url, **bearer(world.tokens["member"])).json()["raw"] == "Cosine, always."
    assert client.get(url, **bearer(world.tokens["staff"])).json()["raw"] == "Cosine, always."
    Post.objects.filter(pk=world.reply.pk).update(hidden=False, deleted_at=timezone.now())
    assert client.get(url, **bearer(world.tokens["member"])).json()["raw"] is None
    assert client.get(url, **bearer(world.tokens["stranger"])).status_code == 404
    assert client.get(url, **bearer(world.tokens["staff"])).json()["deleted"] is True


@pytest.mark.django_db
def test_bad_input_gets_a_clear_error_and_changes_nothing(client, world):
    headers = bearer(world.tokens["owner"])
    before = Topic.objects.count()
    short = _topic(client, headers, title="Hi")  # under the schema's minLength
    assert short.status_code == 422
    error = short.json()["error"]
    assert error["code"] == "invalid_request" and "title" in error["details"]
    blank = _topic(client, headers, title="     ")  # long enough, but blank: the service's rule
    assert blank.status_code == 400
    error = blank.json()["error"]
    assert error["code"] == "invalid" and "title" in error["details"]
    malformed = client.post(
        "/api/v1/topics", "{not json", content_type="application/json", **headers
    )
    assert malformed.status_code in (400, 422)
    missing = client.post("/api/v1/topics", {}, content_type="application/json", **headers)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"
    for text in ("nul \u0000 here", "lone \ud83d surrogate"):  # PostgreSQL cannot store them
        body = json.dumps({"category": "lounge", "title": "A fine title", "raw": text})
        refused = client.post("/api/v1/topics", body, content_type="application/json", **headers)
        assert refused.status_code == 400, refused.content
    assert client.get("/api/v1/members/a%00b", **headers).status_code == 400
    assert Topic.objects.count() == before


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/topics" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


LISTS = [
    "/api/v1/categories",
    "/api/v1/topics",
    "/api/v1/topics/{w.topic.id}/posts",
    "/api/v1/members",
    "/api/v1/tags",
    "/api/v1/works",
    "/api/v1/runs",
    "/api/v1/models",
    "/api/v1/models/{w.public_model.id}/generations",
    "/api/v1/events",
    "/api/v1/launches",
    "/api/v1/partner-requests",
    "/api/v1/tokens",
    "/api/v1/datasets",
]


def _more_rows(world, n: int) -> None:
    from agora.api.tests.conftest import _model, _work
    from agora.events.models import Event
    from agora.lab.models import Generation
    from agora.showcase.models import Launch, PartnerRequest

    alice, bob = world.people["owner"], world.people["member"]
    now = timezone.now()
    for i in range(n):
        forum_services.create_topic(
            author=bob, category=world.lounge, title=f"More topics {i}", raw=f"Body {i}"
        )
        forum_services.create_post(author=alice, topic=world.topic, raw=f"Reply number {i}")
        _work(bob, f"Work {i}")
        _model(bob, private=False)
        Generation.objects.create(
            model=world.public_model,
            owner=bob,
            recipe={},
            recipe_hash=str(i),
            reproduces=world.generation,
        )
        Generation.objects.create(model=world.public_model, owner=bob, recipe={}, recipe_hash="")
        Event.objects.create(
            title=f"Event {i}",
            description="x",
            description_html="x",
            organizer=bob,
            starts_at=now + timezone.timedelta(days=1),
            ends_at=now + timezone.timedelta(days=2),
            timezone="UTC",
        )
        Launch.objects.create(
            name=f"L{i}",
            tagline="t",
            description="d",
            description_html="d",
            audience="a",
            website="https://example.com",
            owner=bob,
        )
        PartnerRequest.objects.create(
            title=f"Request {i}",
            role="artist",
            description="d",
            description_html="d",
            author=bob,
            expires_at=now + timezone.timedelta(days=3),
        )
        tokens.create_token(user=alice, name=f"t{i}", scopes=["read"])


@pytest.mark.django_db
def test_every_list_costs_the_same_queries_with_more_rows(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(world.tokens["owner"])

    def counts() -> dict[str, int]:
        result = {}
        for url in LISTS:
            client.get(url.format(w=world), **headers)  # warm the cache rows of the rate limit
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url.format(w=world), **headers).status_code == 200
            result[url] = len(queries)
        return result

    before = counts()
    _more_rows(world, 4)
    assert counts() == before


@pytest.mark.django_db
def test_search_finds_what_the_caller_may_see(
    client, world, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        forum_services.create_topic(
            author=alice, category=world.lounge, title="Zebra sampler notes", raw="Stripes."
        )
        forum_services.create_topic(
            author=alice, category=world.secret, title="Zebra insider notes", raw="Hidden."
        )

    def titles(persona: str | None) -> set[str]:
        headers = bearer(world.tokens[persona]) if persona else {}
        page = client.get("/api/v1/search?q=zebra", **headers).json()
        return {hit["topic_title"] for hit in page["items"]}

    assert titles("member") == {"Zebra sampler notes", "Zebra insider notes"}
    assert titles("stranger") == titles(None) == {"Zebra sampler notes"}
