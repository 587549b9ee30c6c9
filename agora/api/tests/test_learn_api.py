"""The Learn section through the API: articles and the resource library, with the pages' own
rules (who may publish and edit, validation, the discussion topic opened alongside)."""

from __future__ import annotations

import pytest

from agora.api.tests.conftest import call
from agora.forum.models import Access, Category
from agora.learn.models import Article, Resource, ResourceUse

ARTICLE = {
    "title": "Guidance, gently",
    "body": "## Why\n\nClassifier-free guidance mixes two predictions.",
    "difficulty": "intermediate",
    "language": "en",
    "area": "diffusion",
}


def _error(response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"} and error["message"]
    return error


@pytest.mark.django_db
def test_articles_are_published_read_and_edited_as_on_the_site(client, world):
    created = call(client, world, "member", "POST", "/api/v1/articles", ARTICLE)
    assert created.status_code == 201
    article = created.json()
    assert article["authors"][0]["username"] == "bob" and article["can_edit"] is True
    assert [entry[2] for entry in article["toc"]] == ["Why"]
    assert Article.objects.get(slug=article["slug"]).topic is not None  # discussion opened
    page = client.get(article["url"]).content.decode()
    assert "Guidance, gently" in page
    listed = call(client, world, "anonymous", "GET", "/api/v1/articles?area=diffusion").json()
    assert article["slug"] in {a["slug"] for a in listed["items"]}
    assert call(client, world, "anonymous", "GET", "/api/v1/articles?area=gan").json() == {
        "items": [],
        "next_cursor": None,
    }

    path = f"/api/v1/articles/{article['slug']}"
    edit = {"title": "Guidance, gently", "body": "## Why\n\nIt sharpens samples."}
    refused = call(client, world, "stranger", "PATCH", path, edit)
    assert refused.status_code == 403 and _error(refused)["code"] == "forbidden"
    edited = call(client, world, "member", "PATCH", path, edit)
    assert edited.status_code == 200 and "sharpens" in edited.json()["body_html"]
    revisions = call(client, world, "anonymous", "GET", f"{path}/revisions").json()
    assert [r["body_after"] for r in revisions] == [edit["body"]]
    bad = call(client, world, "member", "PATCH", path, {"title": "", "body": ""})
    assert bad.status_code == 422 and {"title", "body"} <= set(_error(bad)["details"])
    assert Article.objects.get(slug=article["slug"]).body == edit["body"]


@pytest.mark.django_db
def test_bad_articles_change_nothing_and_only_writers_publish(client, world):
    before = Article.objects.count()
    bad = call(client, world, "member", "POST", "/api/v1/articles", {**ARTICLE, "area": "cooking"})
    assert bad.status_code == 422 and "area" in _error(bad)["details"]  # not in the enum
    Category.objects.filter(slug="tutorials").update(everyone_access=Access.REPLY)
    refused = call(client, world, "stranger", "POST", "/api/v1/articles", ARTICLE)
    assert refused.status_code == 403
    assert Article.objects.count() == before
    assert call(client, world, "anonymous", "GET", "/api/v1/articles/nope").status_code == 404


@pytest.mark.django_db
def test_resources_are_added_and_used(client, world, bob):
    created = call(
        client,
        world,
        "member",
        "POST",
        "/api/v1/resources",
        {"kind": "paper", "title": "DDPM", "arxiv_id": "2006.11239", "tags": "diffusion"},
    )
    assert created.status_code == 201
    paper = created.json()
    assert paper["url"] == "https://arxiv.org/abs/2006.11239" and paper["tags"] == ["diffusion"]
    again = call(
        client,
        world,
        "stranger",
        "POST",
        "/api/v1/resources",
        {"kind": "paper", "title": "DDPM again", "arxiv_id": "2006.11239"},
    )
    assert again.status_code == 400 and "arxiv_id" in _error(again)["details"]
    bad = call(
        client,
        world,
        "stranger",
        "POST",
        "/api/v1/resources",
        {"kind": "gadget", "title": "x", "url": "javascript:1"},
    )
    assert bad.status_code == 422 and {"kind"} <= set(_error(bad)["details"])
    assert Resource.objects.count() == 2

    path = f"/api/v1/resources/{world.resource.id}/use"
    assert call(client, world, "member", "POST", path).json() == {"uses": True, "use_count": 1}
    assert call(client, world, "member", "POST", path).json() == {"uses": True, "use_count": 1}
    assert call(client, world, "anonymous", "POST", path).status_code == 401
    assert call(client, world, "member", "DELETE", path).json() == {"uses": False, "use_count": 0}
    assert not ResourceUse.objects.filter(user=bob).exists()
    listed = call(client, world, "anonymous", "GET", "/api/v1/resources?kind=paper").json()
    assert [r["title"] for r in listed["items"]] == ["DDPM"]
    assert call(client, world, "anonymous", "GET", "/api/v1/resources/0").status_code == 404


@pytest.mark.django_db
def test_an_article_is_imported_from_a_markdown_file(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from agora.api.tests.conftest import bearer

    headers = bearer(world.tokens["member"])
    text = (
        "---\ntitle: VAEs briefly\narea: vae\ndifficulty: advanced\n---\n\n"
        "## ELBO\n\nBound the likelihood from below."
    )
    upload = SimpleUploadedFile("vae.md", text.encode(), content_type="text/markdown")
    imported = client.post("/api/v1/articles/import", {"file": upload}, **headers)
    assert imported.status_code == 201
    assert (imported.json()["title"], imported.json()["area"]) == ("VAEs briefly", "vae")
    before = Article.objects.count()
    latin1 = SimpleUploadedFile("x.md", "# Café".encode("latin-1"), content_type="text/markdown")
    refused = client.post("/api/v1/articles/import", {"file": latin1}, **headers)
    assert refused.status_code == 400 and "file" in _error(refused)["details"]
    bad_area = SimpleUploadedFile("y.md", b"---\narea: cooking\n---\n# Soup\n\nHot.")
    refused = client.post("/api/v1/articles/import", {"file": bad_area}, **headers)
    assert refused.status_code == 400 and "area" in _error(refused)["details"]
    Category.objects.filter(slug="tutorials").update(everyone_access=Access.REPLY)
    again = SimpleUploadedFile("vae.md", text.encode(), content_type="text/markdown")
    forbidden = client.post(
        "/api/v1/articles/import", {"file": again}, **bearer(world.tokens["stranger"])
    )
    assert forbidden.status_code == 403
    assert Article.objects.count() == before
