"""In Chromium: publish an article from a Markdown file, see its table of contents and formula."""

import pytest

from agora.conftest import PASSWORD, make_member
from agora.forum.models import Category
from agora.learn.sample_posts import CHINESE_DDPM_POST

pytestmark = [pytest.mark.browser]


def test_publish_from_a_markdown_file(page, live_server, tmp_path):
    base = live_server.url
    Category.objects.create(slug="tutorials", name="Tutorials")
    make_member("writer")
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "writer")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")

    source = tmp_path / "ddpm.md"
    source.write_text(CHINESE_DDPM_POST, encoding="utf-8")
    page.goto(base + "/learn/write/")
    page.get_by_text("Import a Markdown file").click()
    page.set_input_files("input[name=file]", str(source))
    page.get_by_role("button", name="Import and publish").click()
    page.wait_for_url("**/learn/**/")

    toc = page.locator("nav.toc")
    assert toc.get_by_role("link", name="二、训练目标").is_visible()
    toc.get_by_role("link", name="二、训练目标").click()
    heading_id = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert page.locator(f'[id="{heading_id}"]').inner_text().startswith("二、训练目标")
    body = page.locator("article .post-body")
    assert body.locator("math").count() >= 4
    body.locator("pre.mermaid svg").wait_for()
    text = body.inner_text()
    assert "$$" not in text and "\\mathbb" not in text and "####" not in text
    assert page.problems == []
