"""Community guidelines, privacy and terms: everyone reads them from the footer, staff alone
edit them."""

import pytest

from agora.pages.models import SitePage


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["guidelines", "privacy", "terms"])
def test_every_page_is_linked_from_the_footer_and_reads_in_both_languages(client, slug):
    home = client.get("/").content.decode()
    assert f'href="/about/{slug}/"' in home
    page = client.get(f"/about/{slug}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h2" in body and "Edit this page" not in body
    zh = client.get(f"/about/{slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "社区守则" in zh or "隐私" in zh or "使用条款" in zh


@pytest.mark.django_db
def test_staff_edit_a_page_and_everyone_sees_the_new_text(client, staff):
    client.force_login(staff)
    assert "Edit this page" in client.get("/about/guidelines/").content.decode()
    form = client.get("/about/guidelines/edit/").content.decode()
    assert "Be kind and assume good faith" in form  # starts from the current text
    response = client.post("/about/guidelines/edit/", {"body": "## Be excellent\n\nTo each other."})
    assert response.status_code == 302 and response["Location"] == "/about/guidelines/"
    client.logout()
    page = client.get("/about/guidelines/").content.decode()
    assert "Be excellent" in page and "Be kind and assume" not in page
    assert SitePage.objects.get(slug="guidelines").updated_by == staff


@pytest.mark.django_db
def test_members_and_visitors_may_not_edit(client, alice):
    response = client.post("/about/terms/edit/", {"body": "Anything goes"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(alice)
    assert client.get("/about/terms/edit/").status_code == 403
    assert client.post("/about/terms/edit/", {"body": "Anything goes"}).status_code == 403
    assert not SitePage.objects.exists()
    assert "Anything goes" not in client.get("/about/terms/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"), [("   ", "This field is required"), ("x" * 50_001, "at most 50000")]
)
def test_bad_text_is_refused_and_changes_nothing(client, staff, body, message):
    client.force_login(staff)
    response = client.post("/about/privacy/edit/", {"body": body})
    assert response.status_code == 400 and message in response.content.decode()
    assert not SitePage.objects.exists()


@pytest.mark.django_db
def test_an_unknown_page_is_not_found(client, staff):
    assert client.get("/about/cookies/").status_code == 404
    client.force_login(staff)
    assert client.post("/about/cookies/edit/", {"body": "x"}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "queries"), [(None, 1), ("staff", 4)])
def test_a_page_costs_a_constant_number_of_queries(
    client, staff, persona, queries, django_assert_num_queries, request
):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    client.get("/about/guidelines/")
    with django_assert_num_queries(queries):
        client.get("/about/guidelines/")
