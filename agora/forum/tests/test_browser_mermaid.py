"""In Chromium: the 3.6 MB mermaid library is fetched only by a page that holds a diagram."""

from __future__ import annotations

import pytest

from agora.conftest import make_member
from agora.forum import services
from agora.forum.models import Category

pytestmark = [pytest.mark.browser]

DIAGRAM = "A plan:\n\n```mermaid\ngraph TD\n  A[noise] --> B[image]\n```\n"
FETCHED = "performance.getEntriesByType('resource').some(e => e.name.includes('mermaid'))"


def test_mermaid_loads_only_where_a_diagram_is(page, live_server):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    mei = make_member("mei")
    plain = services.create_topic(
        author=mei, category=lounge, title="Only words in this one", raw="No diagram here."
    )
    drawn = services.create_topic(
        author=mei, category=lounge, title="A diagram in this one", raw=DIAGRAM
    )
    for path in ("/", plain.get_absolute_url(), "/gallery/"):
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert not page.evaluate(FETCHED), path
    page.goto(live_server.url + drawn.get_absolute_url())
    page.locator("pre.mermaid svg").wait_for()
    assert page.evaluate(FETCHED)
