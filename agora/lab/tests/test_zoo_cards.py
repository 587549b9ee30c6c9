"""A zoo model's page speaks its reader's language: the title, the about text and the card's
headings and notes come from the catalogue when the page is drawn (not from the database in the
language of whoever seeded the site), and the numbers and hashes stay the zoo card's own."""

from __future__ import annotations

import importlib
import io
import json
import re

import pytest
from django.utils import translation

from agora.lab.models import LabModel
from agora.lab.zoo_texts import DATA_TEXTS, ZOO_TEXTS

MOONS_ZH_TITLE = "双月数据上的 DDPM（二维）"
MOONS_ZH_ABOUT = "模型库中最小的模型：在双月玩具数据上的 MLP 噪声预测器"
MOONS_EN_ABOUT = "The smallest zoo model: an MLP noise predictor on the two-moons toy"


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.fixture
def moons(db, monkeypatch) -> LabModel:
    """The zoo's moons model published as `make run` does, seeded while Chinese was active."""
    import genlab.zoo
    from agora.lab.services import zoo

    entry = genlab.zoo.get_model("moons-diffusion")
    monkeypatch.setattr(genlab.zoo, "list_models", lambda root=None: [entry])
    with translation.override("zh-hans"):
        (model,) = zoo.publish_zoo(out=io.StringIO())
    model.refresh_from_db()
    return model


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_the_zh_page_of_a_zoo_model_shows_its_chinese_title_and_about(client, moons, db):
    page = client.get(moons.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"<h1>{MOONS_ZH_TITLE}</h1>" in page and f"<title>{MOONS_ZH_TITLE}" in page
    assert MOONS_ZH_ABOUT in page and MOONS_EN_ABOUT not in page
    text = visible(page)
    for heading in ("数据集", "数据许可", "配方 SHA-256", "权重 SHA-256", "指标", "数值"):
        assert heading in text, heading
    assert "由 genlab 生成（固定种子）" in text and "无需许可（合成数据）" in text  # its data
    assert "Data licence" not in text and "Weights SHA-256" not in text and "Metric" not in text
    # the reference note too, and the numbers and hashes exactly as the zoo card has them
    assert "Reproduce and verify" not in text
    assert moons.checkpoint_sha256 in page and moons.run.log.split()[-1] in page
    entry = json.loads((moons_zoo_dir() / "card.json").read_text())
    assert entry["reference_sha256"] in page


def test_the_english_page_shows_the_english_title_and_about(client, moons, db):
    page = client.get(moons.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>DDPM on two moons (2-D)</h1>" in page
    assert MOONS_EN_ABOUT in page and MOONS_ZH_TITLE not in page and MOONS_ZH_ABOUT not in page
    assert "Weights SHA-256" in page and "Reproduce and verify" in page


def test_the_stored_card_is_the_sites_language_whoever_seeded_it(moons, db):
    """The API, search and link previews read the stored card: English, not the seed's zh."""
    assert moons.name == "DDPM on two moons (2-D)" and moons.zoo_name == "moons-diffusion"
    assert MOONS_EN_ABOUT in moons.card and "Weights SHA-256" in moons.card
    assert "stored with them" in moons.card and moons.zoo_reference["kind"] == "stored"


def test_the_libraries_list_the_zoo_model_by_its_title_in_the_readers_language(client, moons, db):
    zh = client.get("/lab/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    en = client.get("/lab/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert MOONS_ZH_TITLE in zh and "DDPM on two moons (2-D)" in en


def test_a_zoo_model_page_costs_the_same_queries_in_either_language(
    client, moons, db, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = moons.get_absolute_url()
    client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    with CaptureQueriesContext(connection) as english:
        client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    with django_assert_num_queries(len(english)):
        client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_a_zoo_run_is_titled_in_the_readers_language_a_members_run_keeps_its_words(
    client, moons, db, django_user_model
):
    from agora.lab.models import TrainingRun

    run = moons.run
    assert run.zoo_name == "moons-diffusion" and run.title == "DDPM on two moons (2-D)"
    zh = client.get(run.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"<h1>{MOONS_ZH_TITLE}</h1>" in zh and f"<title>{MOONS_ZH_TITLE}" in zh
    en = client.get(run.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>DDPM on two moons (2-D)</h1>" in en
    assert MOONS_ZH_TITLE in client.get("/lab/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # a member who titles a run as the zoo did keeps their own words in every language
    member = django_user_model.objects.create_user("copycat", "copycat@example.com", "pw")
    copy = TrainingRun.objects.create(
        owner=member,
        title="DDPM on two moons (2-D)",
        family=run.family,
        dataset="moons",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
    )
    page = client.get(copy.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<h1>DDPM on two moons (2-D)</h1>" in page and MOONS_ZH_TITLE not in page


def test_the_api_names_a_zoo_model_and_run_in_the_requests_language(client, moons, db):
    zh = client.get(f"/api/v1/models/{moons.id}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    en = client.get(f"/api/v1/models/{moons.id}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert zh["name"] == en["name"] == "DDPM on two moons (2-D)"  # as stored: a stable key
    assert zh["official"] and zh["zoo_name"] == "moons-diffusion"
    assert zh["display_name"] == MOONS_ZH_TITLE and en["display_name"] == en["name"]
    assert MOONS_ZH_ABOUT in zh["card_html"] and MOONS_EN_ABOUT in en["card_html"]
    run = client.get(f"/api/v1/runs/{moons.run_id}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert run["zoo_name"] == "moons-diffusion" and run["display_title"] == MOONS_ZH_TITLE


def test_search_finds_a_zoo_model_by_its_chinese_title_and_shows_the_readers_title(
    client, moons, db, django_capture_on_commit_callbacks
):
    from agora.core import jobs
    from agora.lab.search import MODEL
    from agora.search.tasks import index_objects

    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(index_objects, MODEL, [moons.id])

    def found(q: str, language: str) -> str:  # the page's text (a hit's words are <mark>ed)
        page = client.get(f"/search/?kind=models&q={q}", HTTP_ACCEPT_LANGUAGE=language)
        return " ".join(visible(re.sub(r"</?mark>", "", page.content.decode())).split())

    zh = found("双月", "zh-hans")
    assert " ".join(MOONS_ZH_TITLE.split()) in zh
    en = found("双月", "en")
    assert "DDPM on two moons (2-D)" in en and MOONS_ZH_TITLE not in en
    # the English words find it too, and a word of neither title nor card does not
    assert "双月数据上的" in found("moons", "zh-hans")
    assert "双月数据上的" not in found("长颈鹿", "zh-hans")


def test_runs_the_zoo_built_before_learn_their_zoo_name(moons, db):
    from django.apps import apps

    from agora.lab.models import TrainingRun

    migration = importlib.import_module("agora.lab.migrations.0014_run_zoo_name")
    TrainingRun.objects.filter(pk=moons.run_id).update(zoo_name="")
    migration.zoo_runs_by_name(apps, None)
    assert TrainingRun.objects.get(pk=moons.run_id).zoo_name == "moons-diffusion"


def test_every_zoo_text_is_the_recipes_own_and_its_chinese_keeps_the_numbers():
    """zoo_texts.py copies genlab's recipes (genlab imports no Django): change both together."""
    import genlab.zoo

    entries = genlab.zoo.list_models()
    assert set(ZOO_TEXTS) == {e.name for e in entries}
    number = re.compile(r"\d[\d,.x]*\d")  # 1,500, 0.5, 32x32; not 2-D, which reads 二维
    code = re.compile(r"`[^`]+`")
    for entry in entries:
        title, about = ZOO_TEXTS[entry.name]
        with translation.override("en"):
            assert (str(title), str(about)) == (entry.title, entry.about), entry.name
        with translation.override("zh-hans"):
            zh_title, zh_about = str(title), str(about)
        assert zh_title != entry.title and zh_about != entry.about, entry.name
        for english, chinese in ((entry.title, zh_title), (entry.about, zh_about)):
            assert sorted(number.findall(english)) == sorted(number.findall(chinese)), entry.name
            assert code.findall(english) == code.findall(chinese), entry.name
        data = entry.licence  # what the card says of its data: listed, bare licence ids aside
        assert data["source"] in DATA_TEXTS, entry.name
        assert data["licence"] in DATA_TEXTS or " " not in data["licence"], entry.name


def test_models_published_before_learn_their_zoo_name_and_reference_from_their_card():
    migration = importlib.import_module("agora.lab.migrations.0012_zoo_card_in_reader_language")
    card = (
        "… | Weights SHA-256 | `ab` |\n\n[Reference samples](/lab/generations/7/), generated by "
        "this site from the committed weights: their hash `123456789abc` differs from the zoo "
        "card's `cba987654321` on this machine"
    )
    assert migration.reference_of(card) == {
        "kind": "differs",
        "url": "/lab/generations/7/",
        "got": "123456789abc",
        "want": "cba987654321",
    }
    stored = "[Reference samples](/lab/generations/3/), made … and stored with them: ✓"
    assert migration.reference_of(stored) == {"kind": "stored", "url": "/lab/generations/3/"}
    assert migration.BUILT.search("Built by python -m genlab zoo build tang-gpt; recipe 3a")[1] == (
        "tang-gpt"
    )


def moons_zoo_dir():
    import genlab.zoo

    return genlab.zoo.get_model("moons-diffusion").directory
