"""Fine-tuning a text model from the site: a member starts a run from a published gpt model on
their uploaded poems, the worker trains it from the base's weights (new characters extend the
vocabulary), and the published fine-tune names its base while the base lists it; bad bases
are refused in the member's language and a private model is no one else's base."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agora.lab.models import LabDataset, LabModel, TrainingRun
from agora.lab.tests import test_lab_text
from agora.lab.tests.test_lab_text import quatrains, text_model

poem_checkpoint = test_lab_text.poem_checkpoint  # the tiny gpt trained once for the module

NEW = "龍鳳麟龜"


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def base_model(owner, checkpoint, *, private=False, name="Tiny poet") -> LabModel:
    """A published text model whose run's settings are those its checkpoint was trained with."""
    from genlab.checkpoint import load

    model = text_model(owner, checkpoint, private=private, name=name)
    TrainingRun.objects.filter(pk=model.run_id).update(settings=load(checkpoint).config.to_dict())
    model.run.refresh_from_db()
    return model


def upload_poems(client, name="My poems") -> LabDataset:
    lines = quatrains(30, seed=5).splitlines()
    lines += [f"{NEW}春，江花月夜山。天地人心白，青紅高遠長。" for _ in range(4)]
    archive = SimpleUploadedFile("mine.txt", "\n".join(lines).encode())
    assert client.post("/lab/datasets/", {"name": name, "archive": archive}).status_code == 302
    return LabDataset.objects.get(name=name)


def start(client, base_id, dataset, **overrides):
    data = {
        "title": "My poet",
        "family": "gpt",
        "dataset": dataset,
        "preset": "quick",
        "steps": "10",
        "seed": "1",
        "base_model": str(base_id),
        **overrides,
    }
    return client.post(f"/lab/runs/new/?base={base_id}", data)


@pytest.mark.django_db
def test_a_member_fine_tunes_a_published_text_model_on_their_poems(
    alice, bob, client, poem_checkpoint, django_capture_on_commit_callbacks
):
    from genlab.checkpoint import load

    base = base_model(bob, poem_checkpoint)
    client.force_login(bob)
    assert "Fine-tune this model" in client.get(base.get_absolute_url()).content.decode()
    client.force_login(alice)
    poems = upload_poems(client)
    page = client.get(f"/lab/runs/new/?base={base.id}").content.decode()
    assert "Fine-tuning “Tiny poet”" in page
    # only its family, and only data sets it can learn: text, no images or points
    assert 'value="gpt"' in page and 'value="diffusion"' not in page
    assert f'value="{poems.key}"' in page and 'value="tang"' in page
    assert 'value="digits"' not in page and 'value="moons"' not in page
    assert 'placeholder="0.003"' in page  # the quick text preset's learning rate

    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, base.id, poems.key, freeze_blocks="1", lr="0.001")
    run = TrainingRun.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.base_model == base and run.base_sha256 == base.checkpoint_sha256
    # the base's shape, not the quick preset's 4 × 128
    shape = {k: run.settings[k] for k in ("block_size", "n_embd", "n_layer", "tokenizer")}
    assert shape == {"block_size": 32, "n_embd": 16, "n_layer": 1, "tokenizer": "char"}
    run.refresh_from_db()
    assert run.status == "completed", run.error
    tuned = load(run.out_dir / "model.safetensors")
    assert tuned.model.tokenizer.chars.endswith("".join(sorted(NEW)))  # new rows, old ids kept
    assert tuned.config.base_sha256 == base.checkpoint_sha256
    assert tuned.config.freeze_blocks == 1 and tuned.config.lr == 0.001
    run_page = client.get(run.get_absolute_url()).content.decode()
    assert "fine-tuned from" in run_page and "Tiny poet" in run_page
    assert "first 1 of 1 block frozen" in run_page and "learning rate 0.001" in run_page

    response = client.post(
        f"/lab/runs/{run.id}/publish/", {"name": "Alice's poet", "licence": "mit", "card": ""}
    )
    child = LabModel.objects.get(name="Alice's poet")
    assert child.base == base and child.lineage == [base.id]
    page = client.get(child.get_absolute_url()).content.decode()
    assert "Fine-tuned from" in page and "Tiny poet" in page and "first 1 of 1 block frozen" in page
    added = page[page.index('id="new-characters"') :].split("</p>")[0]
    new_chars = tuned.model.tokenizer.chars[-len(added.split(": ")[-1]) :]
    assert f"{len(new_chars)} new characters added to its base's vocabulary" in added
    assert set(NEW) <= set(added.split(": ")[-1]) == set(new_chars)
    assert 'name="prompt"' in page  # it writes text like its base
    page = client.get(base.get_absolute_url()).content.decode()
    assert "Fine-tunes: 1 model" in page and "Alice&#x27;s poet" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("base_kind", "overrides", "message"),
    [
        ("text", {"dataset": "digits"}, "A text model learns from text"),
        ("text", {"family": "diffusion", "dataset": "digits"}, "a fine-tune keeps its family"),
        ("image", {}, "a fine-tune keeps its family, so choose Diffusion"),
    ],
)
def test_an_incompatible_text_fine_tune_is_refused_and_nothing_is_created(
    alice, bob, client, poem_checkpoint, base_kind, overrides, message
):
    from agora.lab.tests.test_lab_lineage import published

    base = (
        base_model(bob, poem_checkpoint)
        if base_kind == "text"
        else published(bob, name="Digits DDPM")
    )
    client.force_login(alice)
    response = client.post(
        "/lab/runs/new/",  # the general form: every family offered
        {
            "title": "x",
            "family": "gpt",
            "dataset": "tang",
            "preset": "quick",
            "steps": "10",
            "seed": "0",
            "base_model": str(base.id),
            **overrides,
        },
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrainingRun.objects.filter(owner=alice).exists()


@pytest.mark.django_db
def test_the_refusal_comes_in_chinese_for_a_chinese_member(alice, bob, client, poem_checkpoint):
    base = base_model(bob, poem_checkpoint)
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    client.force_login(alice)
    response = client.post(
        "/lab/runs/new/",
        {
            "family": "diffusion",
            "dataset": "digits",
            "preset": "quick",
            "seed": "0",
            "base_model": str(base.id),
        },
    )
    assert response.status_code == 400 and "微调会沿用它的家族" in response.content.decode()
    assert not TrainingRun.objects.filter(owner=alice).exists()


@pytest.mark.django_db
def test_a_private_text_model_is_no_one_elses_base(alice, bob, client, poem_checkpoint):
    secret = base_model(bob, poem_checkpoint, private=True, name="Bob's secret poet")
    client.force_login(alice)
    poems = upload_poems(client)
    assert client.get(f"/lab/runs/new/?base={secret.id}").status_code == 404
    page = client.get("/lab/runs/new/").content.decode()
    assert "secret poet" not in page
    assert start(client, secret.id, poems.key).status_code == 404
    response = client.post(
        "/lab/runs/new/",
        {
            "family": "gpt",
            "dataset": "tang",
            "preset": "quick",
            "seed": "0",
            "base_model": str(secret.id),
        },
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not TrainingRun.objects.filter(owner=alice).exists()
    # the owner may fine-tune their own private model (queued, not run here)
    client.force_login(bob)
    assert start(client, secret.id, "tang").status_code == 302
