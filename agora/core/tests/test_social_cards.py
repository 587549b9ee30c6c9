"""Link previews: OpenGraph and Twitter card tags with absolute addresses on topics, works,
models, articles and events that anyone may see, and never on private or hidden things."""

import re

import pytest
from django.urls import reverse

from agora.core.tests import world
from agora.forum.models import Topic
from agora.gallery.models import Work
from agora.lab.models import LabModel, TrainingRun

SITE = "https://agora.example.org"


@pytest.fixture(autouse=True)
def setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.AGORA_SITE_URL = SITE


@pytest.fixture
def site(alice, bob, charlie, staff):
    return world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)


def tags(page: str) -> dict[str, str]:
    found = re.findall(
        r'<meta (?:property|name)="((?:og|twitter):[a-z:]+)" content="([^"]*)"', page
    )
    return dict(found)


@pytest.mark.django_db
def test_a_public_topic_previews_with_its_title_text_and_image(client, site):
    topic = Topic.objects.get(pk=site["forum:topic"]["topic_id"])
    card = tags(client.get(topic.get_absolute_url()).content.decode())
    assert card["og:title"] == "Samplers compared at twenty steps"
    assert card["og:url"] == SITE + topic.get_absolute_url()
    assert card["og:description"].startswith("Which sampler is sharpest?")
    assert card["og:image"].startswith(SITE + "/media/") and card["og:image"].endswith(".webp")
    assert card["twitter:card"] == "summary_large_image"


@pytest.mark.django_db
def test_works_models_articles_and_events_preview(client, site):
    work = Work.objects.get(title="Public sunset")
    card = tags(client.get(work.get_absolute_url()).content.decode())
    assert card["og:image"] == SITE + work.thumbnail.url and card["og:title"] == "Public sunset"
    model = LabModel.objects.get(pk=site["lab:model"]["model_id"])
    LabModel.objects.filter(pk=model.pk).update(private=False)
    TrainingRun.objects.filter(pk=model.run_id).update(
        private=False, samples=[{"step": 1, "url": "/media/lab/runs/1/samples.png"}]
    )
    card = tags(client.get(model.get_absolute_url()).content.decode())
    assert card["og:image"] == SITE + "/media/lab/runs/1/samples.png"
    article = reverse("learn:article", kwargs=site["learn:article"])
    assert tags(client.get(article).content.decode())["og:title"] == "Getting started with LoRA"
    event = reverse("events:detail", kwargs=site["events:detail"])
    card = tags(client.get(event).content.decode())
    assert card["og:title"] == "Diffusion reading group"
    assert card["og:description"] == "We read a paper."


@pytest.mark.django_db
def test_private_and_hidden_things_never_carry_a_preview_even_for_who_may_see_them(
    client, site, alice, bob, staff
):
    client.force_login(alice)
    private_work = Work.objects.get(title="Private sunset")
    page = client.get(private_work.get_absolute_url()).content.decode()
    assert "Private sunset" in page and not tags(page)
    private_model = LabModel.objects.get(name="My private model")
    page = client.get(private_model.get_absolute_url()).content.decode()
    assert "My private model" in page and not tags(page)
    pm = Topic.objects.get(title="A private word with Bob")
    page = client.get(pm.get_absolute_url()).content.decode()
    assert "Only the two of us" in page and not tags(page)
    client.force_login(bob)  # an insider reads the secret category's topic
    secret = Topic.objects.get(title="Insiders only: the roadmap")
    page = client.get(secret.get_absolute_url()).content.decode()
    assert "Nothing here for outsiders" in page and not tags(page)
    # a first post hidden by flags: its text is not the topic's preview
    topic = Topic.objects.get(pk=site["forum:topic"]["topic_id"])
    topic.posts.filter(number=1).update(hidden=True)
    client.force_login(staff)
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "Which sampler is sharpest" in page and "og:description" not in page
