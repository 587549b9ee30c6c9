"""Hostile text through every field that accepts it: the stored HTML and every page where it
shows stay inert (no script, no event handler, no script URL, no frame, no htmx handler).
The browser half lives in test_hardening_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from agora.core.markdown import render
from agora.core.tests import hostile
from agora.core.tests import xss_payloads as corpus

_SCRIPT_SCHEME = re.compile(r"^(javascript|vbscript|data(?!:image/(png|jpeg|webp|gif)[;,]))", re.I)
_FORBIDDEN_TAGS = {"iframe", "frame", "object", "embed", "base", "applet", "foreignobject"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "script":
            self._in_script = True
            if not values.get("src", "").startswith("/static/"):
                self.problems.append(f"script without a /static/ src: {values}")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.problems.append("meta refresh")
        for name, value in values.items():
            bare = name.removeprefix("data-")  # htmx reads data-hx-* as hx-*
            if name.startswith("on") or bare.startswith("hx-on") or name == "srcdoc":
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in _URL_ATTRIBUTES or bare.startswith("hx-"):
                scheme = re.sub(r"[\x00-\x20]", "", value)
                if _SCRIPT_SCHEME.match(scheme):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and re.search(r"url\(|expression\(|javascript:", value, re.I):
                self.problems.append(f"<{tag} style={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")


def page_problems(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    if "argon2" in html:
        inspector.problems.append("a password hash leaked into the page")
    return inspector.problems


@pytest.mark.parametrize("payload", corpus.MARKDOWN)
def test_every_markdown_payload_renders_inert(payload: str) -> None:
    assert page_problems(render(payload)) == []


def test_the_inspector_catches_what_it_should() -> None:
    """The checker itself: a page with each kind of hole is flagged."""
    for bad in [
        "<script>x</script>",
        '<img src=x onerror="a()">',
        '<a href=" java\tscript:x">x</a>',
        "<iframe src=/x></iframe>",
        '<div hx-on:click="x">',
        '<a hx-get="javascript:x">',
        '<a data-hx-get="javascript:x">',
        '<meta http-equiv="refresh" content="0">',
        '<img src="data:text/html,x">',
    ]:
        assert page_problems(bad), bad
    assert page_problems('<script src="/static/agora/js/agora.js"></script>') == []
    assert page_problems('<img src="data:image/png;base64,AAAA">') == []


@pytest.fixture
def hostile_site(db, alice, bob, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return hostile.build(alice=alice, bob=bob, staff=staff)


@pytest.mark.parametrize("viewer", ["anonymous", "alice", "bob", "staff"])
def test_every_page_showing_hostile_text_is_inert(client, hostile_site, viewer, alice, bob, staff):
    personas = {"alice": alice, "bob": bob, "staff": staff}
    if viewer in personas:
        client.force_login(personas[viewer])
    checked = 0
    for name, url in hostile_site.items():
        response = client.get(url)
        assert response.status_code in {200, 302, 404}, (name, url, response.status_code)
        if response.status_code != 200:
            continue
        assert page_problems(response.content.decode()) == [], (viewer, name, url)
        checked += 1
    assert checked >= 12 if viewer == "anonymous" else checked >= 20


def test_hostile_text_is_shown_as_text(client, hostile_site, alice):
    """Escaped, not dropped: what the member typed is what others read."""
    html = client.get(hostile_site["topic"]).content.decode()
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in html
    html = client.get(hostile_site["profile"]).content.decode()
    assert "onmouseover=&quot;window.__xss=1&quot;" in html  # the display name, escaped


def test_script_links_are_refused_on_profiles(client, alice):
    client.force_login(alice)
    response = client.post(
        "/settings/profile/",
        {
            "display_name": "A",
            "bio": "",
            "links": "javascript:alert(1)",
            "skills": "",
            "interests": "",
        },
    )
    assert "is not a valid http(s) URL" in response.content.decode()
    alice.refresh_from_db()
    assert alice.links == []


@pytest.mark.parametrize(
    "name", ["<script>", '"><svg onload=x>', "a b", "../etc", "javascript:x", "x" * 41]
)
def test_hostile_tag_names_are_refused(db, alice, name):
    from django.core.exceptions import ValidationError

    from agora.forum.models import Category, Topic
    from agora.forum.services import create_topic

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    if name == "a b":  # spaces become dashes: a fine tag
        create_topic(
            author=alice, category=lounge, title="A topic with tags", raw="x" * 30, tags=[name]
        )
        assert Topic.objects.get().tags.get().name == "a-b"
        return
    with pytest.raises(ValidationError, match="is not a valid tag"):
        create_topic(
            author=alice, category=lounge, title="A topic with tags", raw="x" * 30, tags=[name]
        )
    assert not Topic.objects.exists()
