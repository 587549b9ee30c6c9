"""Fine-tuning from a published model and the model tree, through HTTP."""

import pytest

from agora.lab.models import LabDataset, LabModel, TrainingRun


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def published(
    owner,
    *,
    name,
    family="diffusion",
    dataset="mnist5k",
    private=False,
    base=None,
    shape=(1, 28, 28),
    official=False,
) -> LabModel:
    """A published model without training: the site only reads these rows to decide."""
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family=family,
        dataset=dataset,
        steps=10,
        total_steps=10,
        step=10,
        status=TrainingRun.Status.COMPLETED,
        private=private,
        settings={"family": family, "base": 32, "mults": [1, 2, 2], "image_size": None},
        base_model=base,
        base_sha256=base.checkpoint_sha256 if base else "",
        checkpoint_sha256=f"{name:0<64}"[:64].encode().hex()[:64],
    )
    return LabModel.objects.create(
        run=run,
        owner=owner,
        name=name,
        private=private,
        checkpoint=f"lab/models/{run.id}.safetensors",
        checkpoint_sha256=run.checkpoint_sha256,
        base=base,
        lineage=[*base.lineage, base.id] if base else [],
        data_kind="points" if dataset in ("moons", "swissroll") else "image",
        data_shape=list(shape),
        official=official,
    )


def fine_tune(client, base_id, **overrides):
    data = {
        "title": "My digits",
        "family": "diffusion",
        "dataset": "digits",
        "preset": "quick",
        "steps": "40",
        "seed": "3",
        "base_model": str(base_id),
        **overrides,
    }
    return client.post(f"/lab/runs/new/?base={base_id}", data)


@pytest.mark.django_db
def test_a_run_started_from_a_model_records_its_base(alice, bob, client, django_assert_num_queries):
    base = published(bob, name="Digits DDPM", official=True)
    published(bob, name="Other DDPM")
    client.force_login(alice)
    client.get("/")
    # session, member, the base, alice's uploads, the base choices, the measured training
    # rates (estimates), unread notifications
    with django_assert_num_queries(7):
        page = client.get(f"/lab/runs/new/?base={base.id}").content.decode()
    assert "Fine-tuning “Digits DDPM”" in page
    # only its family, and only data sets it can learn: no 2-D points
    assert 'value="diffusion"' in page and 'value="gan"' not in page
    assert 'value="digits"' in page and 'value="moons"' not in page

    assert 'name="lr"' in page and 'placeholder="0.001"' in page  # the preset's rate
    assert 'name="freeze_blocks"' in page and 'name="freeze_early"' not in page

    response = fine_tune(client, base.id, freeze_blocks="2", lr="0.0003")
    run = TrainingRun.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.base_model == base and run.base_sha256 == base.checkpoint_sha256
    assert run.freeze_blocks == 2 and not run.freeze_early and run.status == "queued"
    assert run.settings["freeze_blocks"] == 2 and run.settings["lr"] == 0.0003 == run.lr
    # the base's network: its architecture, and its image size (the new data is resized)
    assert run.settings["mults"] == [1, 2, 2] and run.settings["image_size"] == 28
    run_page = client.get(run.get_absolute_url()).content.decode()
    assert "fine-tuned from" in run_page and "Digits DDPM" in run_page
    assert "first 2 of 3 blocks frozen" in run_page and "learning rate 0.0003" in run_page
    # a fork keeps both
    fork = client.get(f"/lab/runs/new/?fork={run.id}").content.decode()
    assert 'name="freeze_blocks" value="2"' in fork and 'name="lr" value="0.0003"' in fork


@pytest.mark.django_db
def test_a_fork_of_a_run_made_with_freeze_early_freezes_the_same_blocks(alice, bob, client):
    base = published(bob, name="Digits DDPM")
    run = published(alice, name="Old fine-tune", base=base).run
    TrainingRun.objects.filter(pk=run.pk).update(
        freeze_early=True, settings={**run.settings, "image_size": 28, "freeze_early": True}
    )
    client.force_login(alice)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "early layers frozen" in page and "blocks frozen" not in page
    assert "(the preset&#x27;s)" not in page  # no learning rate recorded: none shown
    fork = client.get(f"/lab/runs/new/?fork={run.id}").content.decode()
    assert 'name="freeze_blocks" value="1"' in fork  # the UNet's first level: freeze_early's
    TrainingRun.objects.filter(pk=run.pk).update(settings={**run.settings, "lr": 0.002})
    fork = client.get(f"/lab/runs/new/?fork={run.id}").content.decode()
    assert 'placeholder="0.002"' in fork  # its preset's rate, as the field's hint


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dataset": "moons"}, "was trained on images, not on 2-D points"),
        ({"family": "vae"}, "a fine-tune keeps its family"),
        ({"dataset": "colour"}, "draws greyscale images and this data set has colour images"),
        ({"base_model": "", "freeze_blocks": "1"}, "Only a fine-tune has blocks to freeze"),
        ({"freeze_blocks": "4"}, "Digits DDPM has 3 blocks to freeze; choose from 0 to 3."),
        ({"freeze_blocks": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"freeze_blocks": "two"}, "Enter a whole number."),
        ({"lr": "0.5"}, "The learning rate must be between 0.000001 and 0.1"),
        ({"lr": "0"}, "The learning rate must be between 0.000001 and 0.1"),
        ({"lr": "fast"}, "Enter a number."),
    ],
)
def test_an_incompatible_base_is_refused_with_a_message_and_nothing_is_created(
    alice, bob, client, overrides, message
):
    base = published(bob, name="Digits DDPM")
    colour = LabDataset.objects.create(
        owner=alice, name="colour", status=LabDataset.Status.READY, shape=[3, 32, 32], count=9
    )
    if overrides.get("dataset") == "colour":
        overrides["dataset"] = colour.key
    client.force_login(alice)
    data = {
        "title": "x",
        "family": "diffusion",
        "dataset": "digits",
        "preset": "quick",
        "steps": "40",
        "seed": "3",
        "base_model": str(base.id),
        **overrides,
    }
    response = client.post("/lab/runs/new/", data)  # the general form: every family offered
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrainingRun.objects.filter(owner=alice).exists()


@pytest.mark.django_db
def test_a_model_the_member_may_not_see_cannot_be_a_base(alice, bob, client):
    secret = published(bob, name="Bob's secret", private=True)
    client.force_login(alice)
    assert client.get(f"/lab/runs/new/?base={secret.id}").status_code == 404
    page = client.get("/lab/runs/new/").content.decode()
    assert "Bob&#x27;s secret" not in page and "Bob's secret" not in page
    response = fine_tune(client, secret.id)
    assert response.status_code == 404
    response = client.post(
        "/lab/runs/new/",
        {
            "family": "diffusion",
            "dataset": "digits",
            "preset": "quick",
            "seed": "0",
            "base_model": str(secret.id),
        },
    )
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not TrainingRun.objects.filter(owner=alice).exists()
    # the owner may fine-tune their own private model
    client.force_login(bob)
    assert fine_tune(client, secret.id).status_code == 302


@pytest.mark.django_db
def test_a_visitor_cannot_start_a_fine_tune(bob, client):
    base = published(bob, name="Digits DDPM")
    response = fine_tune(client, base.id)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert TrainingRun.objects.count() == 1


@pytest.mark.django_db
def test_the_model_page_shows_its_tree_with_counts(
    alice, bob, charlie, client, django_assert_num_queries
):
    root = published(bob, name="Zoo digits", official=True)
    child = published(alice, name="Alice digits", base=root)
    published(charlie, name="Charlie digits", base=root)
    published(charlie, name="Hidden digits", base=root, private=True)
    grandchild = published(bob, name="Bob sevens", base=child)
    published(alice, name="Alice sevens", base=grandchild)

    page = client.get(root.get_absolute_url()).content.decode()
    assert "Fine-tunes: 2 models" in page  # the private one is not counted for others
    assert "Alice digits" in page and "Charlie digits" in page and "Hidden digits" not in page
    assert "1 fine-tune" in page  # Alice digits has one
    assert "Official" in page

    # a visitor: the model, its generations, its ancestors (one query for the whole chain) and
    # its fine-tunes with their counts
    with django_assert_num_queries(4):
        page = client.get(grandchild.get_absolute_url()).content.decode()
    assert "Fine-tuned from" in page and "Alice digits" in page
    tree = page[page.index('id="tree-heading"') :]
    assert tree.index("Zoo digits") < tree.index("Alice digits") < tree.index("Bob sevens")
    assert "Fine-tunes: 1 model" in page and "Alice sevens" in page
    client.force_login(alice)
    client.get("/")  # the day's first visit is recorded once
    with django_assert_num_queries(8):  # + session, member, star, unread notifications
        client.get(grandchild.get_absolute_url())
    with django_assert_num_queries(7):  # a root model: no ancestors to read
        client.get(root.get_absolute_url())
    client.logout()

    # an ancestor the viewer may not see is named nowhere
    LabModel.objects.filter(pk=child.pk).update(private=True)
    page = client.get(grandchild.get_absolute_url()).content.decode()
    assert "Alice digits" not in page and "a model you cannot see" in page


@pytest.mark.django_db
def test_publishing_a_fine_tune_records_its_lineage(alice, bob):
    from agora.lab.services import publishing

    root = published(bob, name="Zoo digits")
    run = TrainingRun.objects.create(
        owner=alice,
        title="fine",
        family="diffusion",
        dataset="digits",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
        base_model=root,
        base_sha256=root.checkpoint_sha256,
        checkpoint_sha256="c" * 64,
    )
    run.out_dir.mkdir(parents=True)
    _write_checkpoint_header(
        run.out_dir / "model.safetensors", {"kind": "image", "shape": [1, 8, 8]}
    )
    model = publishing.publish_model(
        user=alice, run=run, name="Alice digits", card="", licence="mit", private=False
    )
    assert model.base == root and model.lineage == [root.id]
    assert model.data_kind == "image" and model.data_shape == [1, 8, 8]


def _write_checkpoint_header(path, data: dict) -> None:
    import json
    import struct

    header = json.dumps({"__metadata__": {"genlab": json.dumps({"data": data})}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header)


@pytest.mark.django_db
def test_a_fine_tune_of_an_official_zoo_model_trains_from_its_weights_and_lists_in_its_tree(
    alice, client, django_capture_on_commit_callbacks
):
    import genlab.zoo
    from agora.lab.services import zoo

    base = zoo.publish_zoo_model(entry=genlab.zoo.get_model("moons-diffusion"))
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = fine_tune(client, base.id, dataset="swissroll", steps="20", freeze_blocks="1")
    run = TrainingRun.objects.get(owner=alice)
    assert response["Location"] == run.get_absolute_url()
    assert run.status == "completed", run.error
    assert run.base_sha256 == base.checkpoint_sha256 and run.settings["freeze_blocks"] == 1
    assert run.settings["hidden"] == base.run.settings["hidden"]  # the base's network
    client.post(f"/lab/runs/{run.id}/publish/", {"name": "Swiss roll from moons", "licence": "mit"})
    model = LabModel.objects.get(owner=alice)
    assert model.base == base and model.lineage == [base.id]
    page = client.get(model.get_absolute_url()).content.decode()
    assert "Fine-tuned from" in page and base.name in page and "first 1 of 3 blocks frozen" in page
    assert "Fine-tunes: 1 model" in client.get(base.get_absolute_url()).content.decode()
