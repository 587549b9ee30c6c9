"""Text on the way in (one normaliser every model save passes) and on the way out (each
serialiser drops or escapes what its format cannot carry)."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from agora.core.text import header_safe, normalize_text, xml_safe
from agora.forum.models import Category
from agora.learn.models import Article
from agora.showcase.models import TrySignup
from agora.showcase.tests.test_showcase import launch_for

ALLOWED_CONTROLS = {"\t", "\n"}


def controls(text: str) -> set[str]:
    return {c for c in text if unicodedata.category(c) == "Cc"} - ALLOWED_CONTROLS


@given(st.text())
def test_normalised_text_has_no_controls_is_nfc_and_stable(text):
    once = normalize_text(text)
    assert not controls(once) and "\r" not in once
    assert unicodedata.is_normalized("NFC", once)
    assert normalize_text(once) == once


@given(st.text())
def test_a_header_value_is_one_line_and_xml_text_is_xml(text):
    line = header_safe(text)
    assert not controls(line) and "\n" not in line and "\t" not in line
    assert not any(c in "\u2028\u2029" for c in line)
    assert not {c for c in xml_safe(text) if ord(c) < 0x20} - ALLOWED_CONTROLS - {"\r"}


@pytest.mark.django_db
def test_a_markdown_import_is_normalised(alice_client):
    Category.objects.create(slug="tutorials", name="Tutorials")
    source = "---\r\ntitle: Bell\x07 title here\r\n---\r\n\r\nFirst\x01 line\r\nsecond e\u0301\r\n"
    response = alice_client.post(
        "/learn/import/", {"file": SimpleUploadedFile("post.md", source.encode())}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get()
    assert article.title == "Bell title here"
    assert "\r" not in article.body and "\x01" not in article.body
    assert "First line\nsecond \u00e9" in article.body


@pytest.mark.django_db
def test_the_signup_export_has_no_control_characters(alice, bob, client):
    launch = launch_for(alice)
    client.force_login(bob)
    client.post(f"/launches/{launch.id}/try/", {"note": "hi", "consent": "on"})
    # A note stored before text was normalised (update() skips the model layer).
    TrySignup.objects.update(note="\x01=HYPERLINK(1)\x1b")
    client.force_login(alice)
    csv_text = client.get(f"/launches/{launch.id}/signups.csv").content.decode()
    assert not controls(csv_text.replace("\r\n", "\n"))
    assert '"\'=HYPERLINK(1)"' in csv_text or ",'=HYPERLINK(1)," in csv_text
