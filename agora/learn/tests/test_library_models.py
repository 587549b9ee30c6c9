"""The resource library lists the lab's public models beside projects, data sets and papers."""

import pytest

from agora.forum.models import Category
from agora.forum.services import create_topic
from agora.lab.models import LabModel, TrainingRun
from agora.learn.models import Resource


def _model(owner, name: str, *, private: bool = False, topic=None, stars: int = 0) -> LabModel:
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family="diffusion",
        dataset="moons",
        steps=10,
        status="completed",
    )
    return LabModel.objects.create(
        run=run,
        owner=owner,
        name=name,
        private=private,
        topic=topic,
        star_count=stars,
        checkpoint="lab/models/x.safetensors",
        checkpoint_sha256="0" * 64,
    )


@pytest.mark.django_db
def test_public_models_are_listed_with_their_card_and_discussion(
    client, alice, bob, django_assert_max_num_queries
):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    topic = create_topic(author=alice, category=lounge, title="Model: Moons", raw="Ask here")
    moons = _model(alice, "Moons DDPM", topic=topic, stars=3)
    _model(alice, "Secret digits", private=True)
    Resource.objects.create(
        kind="paper", title="DDPM paper", url="https://arxiv.org/abs/2006.11239", added_by=bob
    )
    for i in range(5):
        _model(bob, f"Extra {i}")

    client.force_login(alice)  # even its owner does not find a private model in the library
    with django_assert_max_num_queries(12):
        page = client.get("/learn/resources/").content.decode()
    assert "DDPM paper" in page and "Moons DDPM" in page and "Extra 4" in page
    assert f'href="{moons.get_absolute_url()}"' in page
    assert f'href="{topic.get_absolute_url()}"' in page
    assert "Diffusion (DDPM) · moons" in page and "3 stars" in page
    assert "Secret digits" not in page

    only_models = client.get("/learn/resources/?kind=model").content.decode()
    assert "Moons DDPM" in only_models and "DDPM paper" not in only_models
    only_papers = client.get("/learn/resources/?kind=paper").content.decode()
    assert "DDPM paper" in only_papers and "Moons DDPM" not in only_papers
