"""Error pages speak the viewer's language inside the site's layout, and robots.txt steers
crawlers to the sitemap."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from agora.core.views import server_error


@pytest.mark.django_db
def test_a_missing_page_answers_404_in_the_site_layout_and_the_viewers_language(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and "Page not found" in html
    assert 'href="/latest/"' in html

    chinese = Client(headers={"accept-language": "zh-hans"})
    html = chinese.get("/t/no-such-topic/999999/").content.decode()
    assert '<html lang="zh-hans"' in html
    assert "找不到页面" in html and "Page not found" not in html


@pytest.mark.django_db
def test_a_refused_action_answers_403_in_the_site_layout(client, bob, staff):
    client.force_login(bob)
    response = client.get("/review/")
    assert response.status_code == 403
    html = response.content.decode()
    assert 'class="site-header"' in html and "Not allowed" in html
    assert bob.name in html  # the member's menu is there: the page is the site's, not Django's


def test_a_server_error_page_needs_no_database_and_speaks_the_viewers_language():
    request = RequestFactory().get("/", headers={"accept": "text/html"})
    with translation.override("zh-hans"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert '<html lang="zh-hans"' in html and "服务器错误" in html
    assert "pico.min.css" in html and "boom" not in html


@pytest.mark.django_db
def test_robots_txt_keeps_crawlers_out_of_private_paths_and_names_the_sitemap(client, settings):
    settings.AGORA_SITE_URL = "https://agora.example.org"
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines and "Disallow: /api/" in lines
    assert "Sitemap: https://agora.example.org/sitemap.xml" in lines
