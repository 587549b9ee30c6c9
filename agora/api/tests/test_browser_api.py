import pytest

from agora.conftest import PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_interactive_docs_render_under_our_csp(page, live_server):
    page.goto(f"{live_server.url}/api/v1/docs")
    page.get_by_text("/api/v1/topics", exact=True).first.wait_for()
    assert page.locator(".swagger-ui .title").first.inner_text().startswith("Agora API")
    assert not page.problems, page.problems


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_member_creates_a_token_from_settings_and_uses_it(page, live_server, alice):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/api/tokens/")
    page.fill("input[name=name]", "notebook")
    page.get_by_role("button", name="Create token").click()
    raw = page.locator("#new-token").inner_text()
    response = page.request.get(
        f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.json()["token"]["name"] == "notebook"
    assert not page.problems, page.problems
