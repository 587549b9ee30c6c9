"""Trending models: stars and a fifth of others' generations, with the time decay of
agora.core.trending; the home page's model strip shows them in that order."""

from datetime import timedelta

import pytest
from django.utils import timezone

from agora.core import trending
from agora.core.tests.test_home_alive import lab_model
from agora.lab.models import LabModel
from agora.lab.services.publishing import count_generation, rescore_model, toggle_star


def models_on_home(client) -> list[str]:
    page = client.get("/").content.decode()
    strip = page[page.index('id="models-heading"') :]
    strip = strip[: strip.index("</section>")]
    names = ("Old star", "New digits", "Fresh VAE", "Hidden one")
    return [name for _pos, name in sorted((strip.find(n), n) for n in names if n in strip)]


@pytest.mark.django_db
def test_stars_and_others_generations_make_a_model_trend(alice, bob, charlie):
    model = lab_model(alice, "New digits")
    model.refresh_from_db()
    assert model.trending_score == trending.score(0, model.created_at)
    toggle_star(user=bob, model=model)
    model.refresh_from_db()
    assert model.trending_score == trending.score(1, model.created_at)
    count_generation(user=alice, model=model)  # the owner's own samples do not count
    for _i in range(5):
        count_generation(user=charlie, model=model)
    model.refresh_from_db()
    assert model.generation_count == 5
    assert model.trending_score == trending.score(2, model.created_at)
    toggle_star(user=bob, model=model)  # unstarred
    model.refresh_from_db()
    assert model.trending_score == trending.score(1, model.created_at)


@pytest.mark.django_db
def test_home_strip_orders_models_by_trending_and_hides_private_ones(client, alice, bob):
    old = lab_model(alice, "Old star")
    LabModel.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=3), star_count=20
    )
    rescore_model(old.pk)
    lab_model(alice, "New digits")
    fresh = lab_model(bob, "Fresh VAE")
    lab_model(bob, "Hidden one", private=True)
    # 20 stars three days ago are worth less than a new model with two
    toggle_star(user=alice, model=fresh)
    LabModel.objects.filter(pk=fresh.pk).update(star_count=2)
    rescore_model(fresh.pk)
    assert models_on_home(client) == ["Fresh VAE", "New digits", "Old star"]
    client.force_login(bob)
    assert models_on_home(client)[0] == "Fresh VAE" and "Hidden one" in models_on_home(client)


@pytest.mark.django_db
def test_a_new_models_first_score_is_its_own_creation_time_however_slow_the_save(
    alice, monkeypatch
):
    """The score is kept to 45 ms of age (×1e6): it used to come from one clock reading and
    created_at from a later one at the INSERT, so a slow save could start it a step off."""
    start, ticks = timezone.now(), iter(range(1, 10**6))
    monkeypatch.setattr(timezone, "now", lambda: start + timedelta(seconds=next(ticks)))
    model = lab_model(alice, "Slow clock")
    model.refresh_from_db()
    assert model.trending_score == trending.score(0, model.created_at)
