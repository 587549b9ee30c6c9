"""One address per page: a topic reached through an old or mistyped slug redirects (301) to its
canonical URL, and the pages people share name their canonical URL."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from agora.core.tests.main_pages import build_main_pages
from agora.forum.models import Topic


@pytest.fixture
def pages(db, alice, bob, charlie, staff, settings, tmp_path) -> dict[str, str]:
    settings.MEDIA_ROOT = tmp_path
    return build_main_pages(alice=alice, bob=bob, charlie=charlie, staff=staff)


def _canonical(html: str) -> list[str]:
    return re.findall(r'<link rel="canonical" href="([^"]*)">', html)


def test_a_topic_with_a_wrong_slug_redirects_permanently_to_its_canonical_url(pages, client):
    topic = Topic.objects.get(title="Samplers compared at twenty steps")
    wrong = reverse("forum:topic", kwargs={"slug": "old-title", "topic_id": topic.id})
    response = client.get(wrong + "?page=1")
    assert response.status_code == 301
    assert response["Location"] == topic.get_absolute_url() + "?page=1"

    post = reverse("forum:topic_post", kwargs={"slug": "x", "topic_id": topic.id, "number": 2})
    response = client.get(post)
    assert response.status_code == 301
    assert response["Location"] == topic.get_post_url(2)
    assert client.get(topic.get_absolute_url()).status_code == 200


def test_a_wrong_slug_does_not_reveal_a_hidden_topic(pages, client, alice):
    hidden = Topic.objects.get(title="Insiders only: the roadmap")
    url = reverse("forum:topic", kwargs={"slug": "guess", "topic_id": hidden.id})
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["topic", "work", "model", "article", "event"])
def test_shared_pages_carry_their_canonical_url(pages, name):
    response = Client().get(pages[name])
    assert response.status_code == 200
    assert _canonical(response.content.decode()) == ["http://testserver" + pages[name]]


def test_list_pages_carry_no_canonical_link(pages):
    assert _canonical(Client().get(pages["latest"]).content.decode()) == []
