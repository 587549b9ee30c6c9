""" "Hide the recipe" hides the model's name too: on cards, in search, and from the model filter
of the grid and the API (gallery.services.can_see_recipe: the author and staff only)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from agora.api.tokens import create_token
from agora.gallery.models import Work
from agora.gallery.services import upload_work

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 8, 7)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def hidden(alice, django_capture_on_commit_callbacks) -> Work:
    with django_capture_on_commit_callbacks(execute=True):
        work, _notes = upload_work(
            author=alice,
            upload=SimpleUploadedFile("w.png", _png()),
            title="Quiet sunset",
            recipe_hidden=True,
        )
        Work.objects.filter(pk=work.pk).update(model_name="secretmodelxl", prompt="a sunset")
        work.refresh_from_db()
        work.save()  # reindexed with its recipe
    return work


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_cards_and_search_do_not_show_a_hidden_models_name(hidden, alice, bob):
    grid = _client(bob).get("/gallery/").content.decode()
    assert "Quiet sunset" in grid and "secretmodelxl" not in grid
    link = f'href="{hidden.get_absolute_url()}"'
    for query in ("secretmodelxl", "secretmodel"):  # a prefix: the page repeats the query
        found = _client(bob).get("/search/", {"q": query, "kind": "works"}).content.decode()
        quick = _client(bob).get("/search/quick/", {"q": query}).content.decode()
        assert link not in found and link not in quick
    found = _client(bob).get("/search/", {"q": "quiet", "kind": "works"}).content.decode()
    assert link in found and "secretmodelxl" not in found
    page = _client(alice).get(hidden.get_absolute_url()).content.decode()
    assert "secretmodelxl" in page  # its author still sees the whole recipe


def test_the_model_filter_does_not_find_a_work_by_its_hidden_model(hidden, alice, bob, staff):
    for user in (None, bob):
        grid = _client(user).get("/gallery/", {"model": "secretmodelxl"}).content.decode()
        assert "Quiet sunset" not in grid
    for user in (alice, staff):
        grid = _client(user).get("/gallery/", {"model": "secretmodelxl"}).content.decode()
        assert "Quiet sunset" in grid
    items = Client().get("/api/v1/works", {"model": "secretmodelxl"}).json()["items"]
    assert items == []
    raw = create_token(user=alice, name="t", scopes=["read"])[1]
    mine = (
        Client()
        .get("/api/v1/works", {"model": "secretmodelxl"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
        .json()["items"]
    )
    assert [w["title"] for w in mine] == ["Quiet sunset"]
    listed = Client().get("/api/v1/works").json()["items"]
    assert listed[0]["title"] == "Quiet sunset" and listed[0]["recipe"] is None
