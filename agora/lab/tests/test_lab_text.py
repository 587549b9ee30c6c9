"""Text in the lab, through HTTP: a gpt model writes poems of the forms it was trained on, each
text generation reproduces exactly, is shared to the forum with its recipe card, shows in the
member's profile and in search; text data sets are uploaded with the checks image archives get.
The model is a tiny gpt trained once for the module on a small file of quatrains (seconds)."""

import random
import shutil

import pytest

from agora.lab.models import Generation, LabDataset, LabModel, TrainingRun

CHARS = "春江花月夜山水云风雨日明天地人心白青红高远长流飞落归来"


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def quatrains(n: int, seed: int = 0) -> str:
    """n five-character quatrains (五言绝句), one per line."""
    rng = random.Random(seed)
    poems = []
    for _ in range(n):
        lines = ["".join(rng.choice(CHARS) for _ in range(5)) for _ in range(4)]
        poems.append(f"{lines[0]}，{lines[1]}。{lines[2]}，{lines[3]}。")
    return "\n".join(poems) + "\n"


@pytest.fixture(scope="module")
def poem_checkpoint(tmp_path_factory):
    from genlab.config import resolve_config
    from genlab.train import train

    folder = tmp_path_factory.mktemp("gpt")
    corpus = folder / "poems.txt"
    corpus.write_text(quatrains(60), encoding="utf-8")
    config = resolve_config(
        "gpt",
        str(corpus),
        "quick",
        kind="text",
        steps=5,
        seed=0,
        n_layer=1,
        n_head=2,
        n_embd=16,
        block_size=32,
        batch_size=4,
        vocab_size=300,
    )
    return train(config, out_dir=folder / "run").checkpoint


def text_model(owner, checkpoint, *, private=False, name="Tiny poet") -> LabModel:
    from agora.lab.services import publishing
    from genlab.checkpoint import load

    sha = load(checkpoint).sha256
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family="gpt",
        dataset="tang",
        steps=5,
        step=5,
        total_steps=5,
        status=TrainingRun.Status.COMPLETED,
        private=private,
        checkpoint_sha256=sha,
        settings={"family": "gpt", "block_size": 32},
    )
    run.out_dir.mkdir(parents=True)
    shutil.copyfile(checkpoint, run.out_dir / "model.safetensors")
    return publishing.publish_model(
        user=owner, run=run, name=name, card="", licence="mit", private=private
    )


RECIPE = {
    "prompt": "",
    "form": "wuyan-jueju",
    "acrostic": "春江花月",
    "temperature": "0.8",
    "top_k": "0",
    "top_p": "1",
    "seed": "7",
    "length": "30",
    "count": "2",
}


@pytest.mark.django_db
def test_a_text_model_writes_poems_that_reproduce_and_share_to_the_forum(
    alice, client, poem_checkpoint, django_capture_on_commit_callbacks, django_assert_num_queries
):
    model = text_model(alice, poem_checkpoint)
    spec = model.text_spec
    assert spec["tokenizer"] == "char" and spec["block_size"] == 32
    assert list(spec["forms"]) == ["wuyan-jueju"]  # poems of the training split
    client.force_login(alice)
    client.get("/")
    # session, member, model, generations, star, fine-tunes, unread notifications
    with django_assert_num_queries(7):
        page = client.get(model.get_absolute_url()).content.decode()
    # only what the family uses: a prompt, the forms it was trained on, no sampler or labels
    assert 'name="prompt"' in page and 'name="acrostic"' in page
    assert "五言绝句" in page and "七言律诗" not in page
    assert 'name="sampler"' not in page and 'name="label"' not in page
    assert "Fine-tune this model" in page  # a text model is a base like any other

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/lab/models/{model.id}/generate/", RECIPE)
    first = Generation.objects.get()
    assert response["Location"] == first.get_absolute_url()
    assert first.status == "done" and len(first.texts) == 2, first.error
    for text in first.texts:  # the form and the acrostic, enforced while decoding
        lines = text.rstrip("。").replace("。", "，").split("，")
        assert [len(line) for line in lines] == [5, 5, 5, 5]
        assert "".join(line[0] for line in lines) == "春江花月"
    # session, member, the generation with its model, its reproductions, unread notifications
    with django_assert_num_queries(5):
        page = client.get(first.get_absolute_url()).content.decode()
    assert first.texts[0] in page and first.recipe_hash in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lab/generations/{first.id}/reproduce/")
    copy = Generation.objects.get(reproduces=first)
    assert copy.texts == first.texts and copy.verified is True
    assert "Identical on this server" in client.get(copy.get_absolute_url()).content.decode()

    response = client.post(f"/lab/generations/{first.id}/share-text/", {"topic": ""})
    assert response["Location"] == "/new-topic/?category=text-generation"
    from agora.forum.models import Draft

    draft = Draft.objects.get(user=alice)
    assert first.texts[0] in draft.raw and "| Acrostic | 春江花月 |" in draft.raw
    assert first.recipe_hash in draft.raw and "Tiny poet" in draft.title


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"prompt": "abc", "form": "", "acrostic": ""}, "does not know these characters: abc"),
        ({"prompt": "春" * 40, "form": "", "acrostic": ""}, "this model reads at most 31"),
        ({"form": "qiyan-lushi", "acrostic": ""}, "not trained on 七言律诗 poems"),
        ({"acrostic": "春江花月夜"}, "has 5 characters but a 五言绝句 has 4 lines"),
        ({"top_p": "0"}, "Top-p must be more than 0"),
        ({"count": "99"}, "between 1 and 16 texts"),
    ],
)
def test_bad_text_recipes_are_refused_in_the_members_language_and_nothing_is_queued(
    alice, client, poem_checkpoint, change, field_message
):
    model = text_model(alice, poem_checkpoint)
    client.force_login(alice)
    response = client.post(f"/lab/models/{model.id}/generate/", {**RECIPE, **change})
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Generation.objects.exists()


@pytest.mark.django_db
def test_text_messages_come_in_chinese_for_a_chinese_member(alice, client, poem_checkpoint):
    model = text_model(alice, poem_checkpoint)
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    response = client.post(
        f"/lab/models/{model.id}/generate/", {**RECIPE, "acrostic": "春江花月夜"}
    )
    assert response.status_code == 400
    assert "藏头有 5 个字，但五言绝句只有 4 行" in response.content.decode()


@pytest.mark.django_db
def test_who_may_not_write_or_share_texts(alice, bob, client, poem_checkpoint):
    secret = text_model(alice, poem_checkpoint, private=True, name="Secret poet")
    response = client.post(f"/lab/models/{secret.id}/generate/", RECIPE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(bob)
    assert client.post(f"/lab/models/{secret.id}/generate/", RECIPE).status_code == 404
    assert not Generation.objects.exists()
    public = text_model(alice, poem_checkpoint, name="Public poet")
    mine = Generation.objects.create(
        model=public,
        owner=alice,
        recipe={"kind": "text"},
        recipe_hash="h",
        status=Generation.Status.DONE,
        texts=["春江花月夜"],
    )
    response = client.post(f"/lab/generations/{mine.id}/share-text/", {"topic": ""})
    assert response.status_code == 302 and response["Location"] == mine.get_absolute_url()
    from agora.forum.models import Draft

    assert not Draft.objects.filter(user=bob).exists()


@pytest.mark.django_db
def test_texts_show_in_profiles_and_search_to_those_who_may_see_them(
    alice, bob, client, poem_checkpoint, django_capture_on_commit_callbacks
):
    public = text_model(alice, poem_checkpoint, name="Public poet")
    secret = text_model(alice, poem_checkpoint, private=True, name="Secret poet")
    with django_capture_on_commit_callbacks(execute=True):
        for model, text in ((public, "春江花月夜明"), (secret, "山水云风雨日")):
            generation = Generation.objects.create(
                model=model,
                owner=alice,
                recipe={"kind": "text", "acrostic": text[:2]},
                recipe_hash="h" + text,
                status=Generation.Status.DONE,
                texts=[text],
            )
            from agora.core import jobs
            from agora.lab.search import TEXT
            from agora.search.tasks import index_objects

            jobs.enqueue(index_objects, TEXT, [generation.id])
    client.force_login(bob)
    profile = client.get("/u/alice/").content.decode()
    assert "春江花月夜明" in profile and "山水云风雨日" not in profile
    found = client.get("/search/?kind=texts&q=春江花月夜明").content.decode()
    assert "Public poet" in found
    hidden = client.get("/search/?kind=texts&q=山水云风雨日").content.decode()
    assert "Secret poet" not in hidden
    client.force_login(alice)
    assert "Secret poet" in client.get("/search/?kind=texts&q=山水云风雨日").content.decode()
    assert "山水云风雨日" in client.get("/u/alice/").content.decode()


@pytest.mark.django_db
def test_a_member_uploads_text_data_sets(alice, client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(alice)
    txt = SimpleUploadedFile("poems.txt", quatrains(3).encode())
    response = client.post("/lab/datasets/", {"name": "My poems", "archive": txt})
    assert response.status_code == 302
    poems = LabDataset.objects.get(name="My poems")
    assert poems.kind == "text" and poems.status == "ready" and poems.count == 3
    assert poems.archive.name.endswith(".txt")
    jsonl = SimpleUploadedFile("v.jsonl", b'{"text": "In the beginning"}\n"And the earth"\n')
    client.post("/lab/datasets/", {"name": "Verses", "archive": jsonl})
    assert LabDataset.objects.get(name="Verses").count == 2
    page = client.get("/lab/datasets/").content.decode()
    assert "3 documents" in page and "kjv" in page
    # a text data set trains a text model only
    response = client.post(
        "/lab/runs/new/",
        {"family": "diffusion", "dataset": poems.key, "preset": "quick", "seed": "0"},
    )
    assert response.status_code == 400 and "learns images or points" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("bomb.txt", b"PK\x03\x04" + b"\x00" * 100, "compressed archive, not a text file"),
        ("gz.jsonl", b"\x1f\x8b\x08\x00" + b"\x00" * 50, "compressed archive"),
        ("latin.txt", "café".encode("latin-1"), "not UTF-8 text"),
        ("nul.txt", b"abc\x00def", "binary data"),
        ("empty.txt", b"  \n\n", "holds no text"),
        ("bad.jsonl", b'{"text": 3}\n', "could not be read as a text data set"),
        ("big.txt", b"a\n" * 600, "too large"),
    ],
)
def test_hostile_text_files_are_refused_and_nothing_is_stored(
    alice, client, settings, name, data, message
):
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.LAB_MAX_DATASET_BYTES = 1000
    client.force_login(alice)
    response = client.post(
        "/lab/datasets/", {"name": "x", "archive": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not LabDataset.objects.exists()
    media = Path(settings.MEDIA_ROOT)
    stored = [p for p in media.rglob("*") if p.is_file() and "preview-builtin" not in p.name]
    assert stored == []  # (the page draws the built-in sets' previews)
