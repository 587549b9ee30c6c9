"""Numbers typed by a visitor (ids, cursors, page numbers): a Unicode digit such as "²", a
23-digit id, a negative or a blank never become a server error; the value is ignored (or the
object is not found), the rest of the request is served."""

from __future__ import annotations

import pytest

from agora.core.params import parse_id, parse_ids, parse_int
from agora.lab.models import TrainingRun

HOSTILE = ["²", "１２", "12345678901234567890123", "-1", "0", " ", "1e3", "0x10", "2147483648"]


def test_parse_takes_only_ascii_digits_that_fit_an_id():
    for text in HOSTILE:
        assert parse_id(text) is None, text
    assert parse_id(" 42 ") == 42 and parse_id("2147483647") == 2**31 - 1
    assert parse_int("0") == 0 and parse_int("7", minimum=1, maximum=5) is None
    assert parse_ids("3,²,x,12345678901234567890123,4,5", limit=2) == [3, 4]
    assert parse_id(None) is None and parse_id(3) is None


def _run(owner, title: str, *, private: bool = False) -> TrainingRun:
    return TrainingRun.objects.create(
        owner=owner,
        title=title,
        family="diffusion",
        dataset="moons",
        steps=20,
        total_steps=20,
        private=private,
        status="completed",
        settings={"family": "diffusion"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("ids", ["²", "12345678901234567890123", "-3", "1e3", ",,"])
def test_run_comparison_ignores_ids_that_are_not_ids(client, alice, ids):
    run = _run(alice, "Moons by Alice")
    response = client.get("/lab/runs/compare/", {"ids": f"{ids},{run.id}"})
    assert response.status_code == 200
    assert "Moons by Alice" in response.content.decode()
    alone = client.get("/lab/runs/compare/", {"ids": ids})
    assert alone.status_code == 200
    assert "Pick runs to compare" in alone.content.decode()


@pytest.mark.django_db
def test_run_comparison_still_hides_private_runs(client, alice, bob):
    hidden = _run(alice, "Secret moons", private=True)
    client.force_login(bob)
    response = client.get("/lab/runs/compare/", {"ids": str(hidden.id)})
    assert response.status_code == 200 and "Secret moons" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("fork", ["²", "12345678901234567890123"])
def test_a_fork_of_no_run_opens_an_empty_form(alice_client, fork):
    response = alice_client.get("/lab/runs/new/", {"fork": fork})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_member_list_and_forum_pages_ignore_numbers_that_are_not_numbers(client, alice, value):
    assert client.get("/members/", {"before": value}).status_code == 200
    assert client.get("/latest/", {"page": value}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("value", HOSTILE)
def test_api_cursors_that_are_not_numbers_give_the_first_page(client, alice, value):
    for path in ("/api/v1/members", "/api/v1/runs", "/api/v1/search"):
        response = client.get(path, {"cursor": value, "q": "moon"})
        assert response.status_code == 200, (path, value)


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["reply-²", "reply-" + "9" * 70, "reply-0", "reply--1"])
def test_a_draft_key_that_names_no_topic_is_not_found(client, alice, key):
    from agora.api import tokens

    _token, raw = tokens.create_token(user=alice, name="t", scopes=["read", "write"])
    response = client.put(
        f"/api/v1/drafts/{key}",
        data={"raw": "hello"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 404
    assert not alice.drafts.exists()
