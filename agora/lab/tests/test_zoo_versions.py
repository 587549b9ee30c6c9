"""A zoo entry rebuilt with other weights: the site's next start publishes the new weights as a
new official model, and the earlier one steps aside. It stays (its page, its generations and
their Reproduce still work from its weights) but the lists, the fine-tune choices, the home page
and the API's list show each zoo model once, the newest. The zoo account speaks the reader's
language."""

from __future__ import annotations

import dataclasses
import importlib
import io
import shutil
from pathlib import Path

import pytest
from django.utils import translation

from agora.lab.models import LabModel


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    from agora.lab import zoo_cards

    zoo_cards._ENTRIES.clear()  # the process reads each zoo entry once: not the copy's
    yield
    zoo_cards._ENTRIES.clear()


def rebuilt_moons(root: Path):
    """The moons zoo entry copied under `root` and stored again with other weights (one bias
    nudged), as `zoo build --write` or `zoo adopt` would leave it: weights, grid and card."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    import genlab.zoo

    source = genlab.zoo.get_model("moons-diffusion")
    shutil.copytree(source.directory, root / source.name)
    entry = dataclasses.replace(source, directory=root / source.name)  # the copy, never the repo's
    with safe_open(entry.weights_path, "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
    name = next(k for k in tensors if k.endswith("bias"))
    tensors[name] = tensors[name] + 0.01
    nudged = root / "nudged.safetensors"
    save_file(tensors, nudged, metadata=meta)
    timing = {"cpu_s": 4.0, "wall_s": 4.0, "load": (0.1, 0.1, 0.1)}
    return genlab.zoo.store(entry, nudged.read_bytes(), timing)


@pytest.fixture
def versions(db, monkeypatch, tmp_path) -> tuple[LabModel, LabModel]:
    import genlab.zoo
    from agora.lab.services import zoo

    first = genlab.zoo.get_model("moons-diffusion")
    second = rebuilt_moons(tmp_path / "zoo")
    assert genlab.zoo.get_model("moons-diffusion").weights_sha256 == first.weights_sha256
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [first])
    (old,) = zoo.publish_zoo(out=io.StringIO())
    assert second.weights_sha256 != first.weights_sha256
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [second])
    (new,) = zoo.publish_zoo(out=io.StringIO())
    assert zoo.publish_zoo(out=io.StringIO()) == []  # a second start publishes nothing
    old.refresh_from_db()
    return old, new


def test_the_rebuilt_entry_replaces_the_earlier_official_model_in_every_list(
    client, alice, versions
):
    from agora.lab import selectors

    old, new = versions
    assert (old.superseded_by_id, new.superseded_by_id) == (new.id, None)
    assert old.zoo_name == new.zoo_name == "moons-diffusion" and old.official and new.official
    for page in ("/lab/", "/", "/u/zoo/"):
        html = client.get(page).content.decode()
        assert f'href="{new.get_absolute_url()}"' in html, page
        assert f'href="{old.get_absolute_url()}"' not in html, page
    choices = dict(selectors.base_choices(alice))
    assert str(new.id) in choices and str(old.id) not in choices


def test_the_earlier_version_stays_readable_and_points_at_the_newer(client, versions):
    old, new = versions
    page = client.get(old.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="newer-version"' in html and f'href="{new.get_absolute_url()}"' in html
    assert new.checkpoint_sha256[:12] in html
    zh = client.get(old.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已发布更新的版本" in zh and "双月数据上的 DDPM" in zh
    assert 'id="newer-version"' not in client.get(new.get_absolute_url()).content.decode()


def test_the_api_lists_the_newest_and_answers_for_the_earlier(client, versions):
    old, new = versions
    listed = client.get("/api/v1/models").json()["items"]
    assert [m["id"] for m in listed if m["zoo_name"] == "moons-diffusion"] == [new.id]
    assert client.get(f"/api/v1/models/{old.id}").json()["superseded_by"] == new.id
    assert client.get(f"/api/v1/models/{new.id}").json()["superseded_by"] is None


def test_a_site_that_published_an_entry_twice_learns_which_is_newest(versions):
    from django.apps import apps

    old, new = versions
    LabModel.objects.update(superseded_by=None)
    migration = importlib.import_module("agora.lab.migrations.0015_model_superseded_by")
    migration.newest_version_wins(apps, None)
    assert LabModel.objects.get(pk=old.pk).superseded_by_id == new.id
    assert LabModel.objects.get(pk=new.pk).superseded_by_id is None


def test_the_zoo_account_speaks_the_readers_language_and_nobody_can_take_its_name(client, versions):
    from allauth.account.adapter import get_adapter
    from django.core.exceptions import ValidationError

    from agora.accounts.models import User

    zh = client.get("/u/zoo/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Agora 模型库" in zh and "实验室的官方基础模型" in zh
    assert "The lab&#x27;s official base models" not in zh
    en = client.get("/u/zoo/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Agora model zoo" in en and "Agora 模型库" not in en
    with translation.override("zh-hans"):
        account = User.objects.get(username="zoo")
        assert account.name == "Agora 模型库"
        assert account.display_name == "Agora model zoo"  # stored as written: the edit form's
        account.display_name = "Zoo keepers"  # an edited name shows as typed
        assert account.name == "Zoo keepers"
    member = User(username="mallory", display_name="Agora model zoo")
    with translation.override("zh-hans"):
        assert member.name == "Agora model zoo"  # only the site's own account is translated
    for name in ("zoo", "Zoo"):
        with pytest.raises(ValidationError):
            get_adapter().clean_username(name)


def test_the_zoo_account_is_found_by_its_name_in_either_language(client, versions):
    from agora.accounts.models import User
    from agora.search import services
    from agora.search.models import SearchDocument

    zoo = User.objects.get(username="zoo")
    with translation.override("zh-hans"):  # whoever triggers the indexing, in any language
        services.index_objects(kind="member", object_ids=[zoo.id])
    assert SearchDocument.objects.get(kind="member", object_id=zoo.id).title == (
        "Agora model zoo @zoo"
    )
    for q, language in (("模型库", "en"), ("model zoo", "zh-hans")):
        response = client.get("/search/", {"q": q}, HTTP_ACCEPT_LANGUAGE=language)
        assert [m.username for m in response.context["members"]] == ["zoo"], q


def test_a_card_measured_again_updates_the_published_model_on_the_next_start(
    db, client, monkeypatch
):
    """`genlab zoo evaluate` writes new metrics into a card whose weights are already on the
    site (an evaluation corrected): the next start shows them on the run, in the stored card
    the search reads and on the model page, and publishes nothing new."""
    import genlab.zoo
    from agora.lab.services import zoo

    entry = genlab.zoo.get_model("moons-diffusion")
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [entry])
    (model,) = zoo.publish_zoo(out=io.StringIO())
    model.refresh_from_db()
    assert not zoo.refresh_measurements(model=model, entry=entry)  # a plain restart writes nothing
    before = model.run.metrics["mmd2"]
    card = dict(entry.card, metrics={**entry.card["metrics"], "mmd2": 0.012345})
    measured = dataclasses.replace(entry, card=card)
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [measured])
    from agora.lab import zoo_cards

    zoo_cards._ENTRIES["moons-diffusion"] = measured
    assert zoo.publish_zoo(out=io.StringIO()) == []
    model.refresh_from_db()
    model.run.refresh_from_db()
    assert before != 0.012345 and model.run.metrics["mmd2"] == 0.012345
    assert "0.0123" in model.card_html and "Reference samples" in model.card
    assert LabModel.objects.filter(zoo_name="moons-diffusion").count() == 1
    assert "0.0123" in client.get(model.get_absolute_url()).content.decode()
    assert not zoo.refresh_measurements(model=model, entry=measured)  # nothing left to change
