"""A zoo model's page in Chromium at phone and desktop width, in both languages: the title and
card read in the page's language and nothing scrolls sideways (the card's hash rows are long).
Screenshots land in test-results/screenshots/zoo-model-<width>-<lang>-<state>.png."""

from __future__ import annotations

import io

import pytest

from agora.core.tests.test_pages_browser import SCREENSHOTS, pages_wider_than_the_screen

pytestmark = [pytest.mark.browser]


@pytest.fixture
def zoo_model(transactional_db, settings, tmp_path, monkeypatch):
    import genlab.zoo
    from agora.lab.services import zoo

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    entry = genlab.zoo.get_model("tang-gpt")
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [entry])
    (model,) = zoo.publish_zoo(out=io.StringIO())
    return model


def test_a_zoo_model_page_reads_in_either_language_at_any_width(
    browser, live_server, zoo_model, alice
):
    path = zoo_model.get_absolute_url()
    too_wide = pages_wider_than_the_screen(
        browser, live_server, alice, {"model": path}, prefix="zoo-"
    )
    assert not too_wide, "\n".join(too_wide)
    context = browser.new_context(locale="zh-CN")
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": "agora_language", "value": "zh-hans", "domain": host, "path": "/"}]
    )
    page = context.new_page()
    page.goto(live_server.url + path)
    assert page.locator("h1").inner_text() == "唐诗 GPT（字符级）"
    card = page.locator("#card-heading + .post-body")
    assert "《全唐诗》" in card.inner_text() and "权重 SHA-256" in card.inner_text()
    assert zoo_model.checkpoint_sha256 in card.inner_text()
    context.close()
    assert (SCREENSHOTS / "zoo-model-390-zh-visitor.png").is_file()
