"""Text generations and fine-tunes through the API: a member asks a text model for poems with a
form and an acrostic, reads them back with their recipe and lists them; bad recipes get the
site form's messages and queue nothing; a private model's texts and weights are its owner's
alone; a fine-tune names its base and the base lists its fine-tunes."""

import pytest

from agora.api import tokens
from agora.api.tests.conftest import bearer
from agora.lab.models import Generation, LabModel, TrainingRun
from agora.lab.tests import test_lab_text
from agora.lab.tests.test_lab_lineage import published
from agora.lab.tests.test_lab_text import text_model

poem_checkpoint = test_lab_text.poem_checkpoint  # a tiny gpt trained once for the module


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def auth(user) -> dict[str, str]:
    _token, raw = tokens.create_token(user=user, name="t", scopes=["read", "write"])
    return bearer(raw)


RECIPE = {
    "form": "wuyan-jueju",
    "acrostic": "春江",
    "temperature": 0.8,
    "top_k": 5,
    "top_p": 0.9,
    "seed": 7,
    "count": 2,
}


@pytest.mark.django_db
def test_a_member_writes_poems_reads_them_with_their_recipe_and_lists_them(
    alice, bob, client, poem_checkpoint, django_capture_on_commit_callbacks
):
    model = text_model(alice, poem_checkpoint)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/models/{model.id}/text-generations",
            RECIPE,
            content_type="application/json",
            **auth(bob),
        )
    assert response.status_code == 201, response.content
    generation_id = response.json()["id"]
    body = client.get(f"/api/v1/generations/{generation_id}").json()  # a visitor: public model
    assert body["kind"] == "text" and body["status"] == "done", body["error"]
    assert len(body["texts"]) == 2 and body["images"] == []
    for text in body["texts"]:  # the form and the acrostic, enforced while decoding
        lines = text.rstrip("。").replace("。", "，").split("，")
        assert [len(line) for line in lines] == [5, 5, 5, 5]
        assert lines[0][0] == "春" and lines[1][0] == "江"
    recipe = body["recipe"]
    assert recipe["kind"] == "text" and recipe["checkpoint_sha256"] == model.checkpoint_sha256
    assert (recipe["form"], recipe["acrostic"], recipe["seed"], recipe["top_k"]) == (
        "wuyan-jueju",
        "春江",
        7,
        5,
    )

    listed = client.get("/api/v1/text-generations?member=bob").json()
    assert [g["id"] for g in listed["items"]] == [generation_id]
    assert client.get("/api/v1/text-generations?member=alice").json()["items"] == []
    mine = client.get("/api/v1/text-generations?mine=true", **auth(bob)).json()
    assert [g["id"] for g in mine["items"]] == [generation_id]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("recipe", "field", "message"),
    [
        ({"acrostic": "春江花月夜"}, "acrostic", "The acrostic has 5 characters"),
        ({"prompt": "龍"}, "prompt", "This model does not know these characters: 龍"),
        ({"form": "qiyan-lushi", "acrostic": ""}, "form", "This model was not trained on"),
        ({"form": "sonnet", "acrostic": ""}, "form", "Choose one of the poem forms."),
        ({"prompt": "春" * 40, "form": "", "acrostic": ""}, "prompt", "reads at most 31"),
    ],
)
def test_bad_text_recipes_get_the_forms_messages_and_nothing_is_queued(
    alice, client, poem_checkpoint, recipe, field, message
):
    model = text_model(alice, poem_checkpoint)
    response = client.post(
        f"/api/v1/models/{model.id}/text-generations",
        {**RECIPE, **recipe},
        content_type="application/json",
        **auth(alice),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error["details"][field][0]
    assert not Generation.objects.exists()


@pytest.mark.django_db
def test_a_private_text_model_is_its_owners_alone(
    alice, bob, client, poem_checkpoint, django_capture_on_commit_callbacks
):
    secret = text_model(alice, poem_checkpoint, private=True, name="Alice's secret poet")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/models/{secret.id}/text-generations",
            {"seed": 1},
            content_type="application/json",
            **auth(alice),
        )
    assert response.status_code == 201
    generation_id = response.json()["id"]
    url = f"/api/v1/models/{secret.id}/text-generations"
    assert client.post(url, {"seed": 1}, content_type="application/json").status_code == 401
    response = client.post(url, {"seed": 1}, content_type="application/json", **auth(bob))
    assert response.status_code == 404
    assert client.get(f"/api/v1/generations/{generation_id}", **auth(bob)).status_code == 404
    for who in ({}, auth(bob)):
        assert client.get("/api/v1/text-generations", **who).json()["items"] == []
        assert client.get("/api/v1/text-generations?member=alice", **who).json()["items"] == []
    own = client.get("/api/v1/text-generations", **auth(alice)).json()["items"]
    assert [g["id"] for g in own] == [generation_id]
    # nor is it anyone else's base
    response = client.post(
        "/api/v1/runs",
        {"family": "gpt", "dataset": "tang", "steps": 10, "base_model": secret.id},
        content_type="application/json",
        **auth(bob),
    )
    assert response.status_code == 404
    assert Generation.objects.count() == 1
    assert not TrainingRun.objects.filter(owner=bob).exists()


@pytest.mark.django_db
def test_a_fine_tune_names_its_base_and_the_base_lists_its_fine_tunes(
    alice, bob, charlie, client, poem_checkpoint
):
    from genlab.checkpoint import load

    base = text_model(alice, poem_checkpoint)
    TrainingRun.objects.filter(pk=base.run_id).update(
        settings=load(poem_checkpoint).config.to_dict()
    )
    response = client.post(
        "/api/v1/runs",
        {
            "family": "gpt",
            "dataset": "kjv",
            "steps": 10,
            "base_model": base.id,
            "freeze_early": True,
        },
        content_type="application/json",
        **auth(bob),
    )
    assert response.status_code == 201, response.content
    run = response.json()
    assert run["base"] == {"id": base.id, "name": base.name, "url": base.get_absolute_url()}
    assert run["base_sha256"] == base.checkpoint_sha256 and run["freeze_early"]
    assert TrainingRun.objects.get(pk=run["id"]).settings["n_embd"] == 16  # the base's width
    # an image data set for a text base: the site's message, nothing queued
    response = client.post(
        "/api/v1/runs",
        {"family": "gpt", "dataset": "digits", "steps": 10, "base_model": base.id},
        content_type="application/json",
        **auth(bob),
    )
    assert response.status_code == 400
    assert "A text model learns from text" in response.json()["error"]["message"]
    assert TrainingRun.objects.filter(owner=bob).count() == 1

    child = published(bob, name="Bob's verses", family="gpt", dataset="kjv", base=base)
    published(
        charlie, name="Charlie's hidden", family="gpt", dataset="kjv", base=base, private=True
    )
    body = client.get(f"/api/v1/models/{base.id}", **auth(bob)).json()
    assert body["base"] is None and body["base_sha256"] == ""
    assert [m["name"] for m in body["fine_tunes"]] == ["Bob's verses"]
    assert body["fine_tune_count"] == 1
    body = client.get(f"/api/v1/models/{child.id}").json()
    assert body["base"]["id"] == base.id and body["base_sha256"] == base.checkpoint_sha256
    listed = {m["id"]: m for m in client.get("/api/v1/models").json()["items"]}
    assert listed[child.id]["base"]["name"] == base.name
    # a base the caller may not see: named nowhere, but its weights' hash still says where from
    LabModel.objects.filter(pk=base.pk).update(private=True)
    body = client.get(f"/api/v1/models/{child.id}", **auth(charlie)).json()
    assert body["base"] is None and body["base_sha256"] == base.checkpoint_sha256
