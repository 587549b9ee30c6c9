import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agora.lab import execution
from agora.lab.models import Generation, LabModel, TrainingRun
from agora.lab.services import generations, publishing, runs


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def start(client, capture, **overrides):
    data = {
        "title": "Tiny moons",
        "family": "diffusion",
        "dataset": "moons",
        "preset": "quick",
        "steps": "40",
        "seed": "3",
        **overrides,
    }
    with capture(execute=True):
        return client.post("/lab/runs/new/", data)


@pytest.mark.django_db
def test_train_publish_generate_reproduce_and_share(
    alice_client, alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    response = start(alice_client, capture)
    run = TrainingRun.objects.get()
    assert response["Location"] == run.get_absolute_url()
    assert run.status == "completed" and run.step == 40 and run.attempts == 1
    assert run.curves and "loss" in "".join(run.curves[-1].keys())
    assert len(run.checkpoint_sha256) == 64
    page = alice_client.get(run.get_absolute_url()).content.decode()
    assert "Completed" in page and "loss-chart" in page

    alice_client.post(
        f"/lab/runs/{run.id}/publish/",
        {"name": "Moons DDPM", "licence": "mit", "card": "A tiny **model**."},
    )
    model = LabModel.objects.get()
    assert model.checkpoint_sha256 == run.checkpoint_sha256
    download = alice_client.get(f"/lab/models/{model.id}/checkpoint.safetensors")
    assert download.status_code == 200

    with capture(execute=True):
        alice_client.post(
            f"/lab/models/{model.id}/generate/",
            {
                "sampler": "ddim",
                "steps": "5",
                "guidance": "0",
                "seed": "7",
                "label": "",
                "count": "4",
            },
        )
    first = Generation.objects.get()
    assert first.status == "done" and len(first.images) == 1  # 2-D data: one scatter plot
    with capture(execute=True):
        alice_client.post(f"/lab/generations/{first.id}/reproduce/")
    copy = Generation.objects.exclude(pk=first.pk).get()
    assert copy.reproduces == first and copy.verified is True
    assert "Identical on this server" in alice_client.get(copy.get_absolute_url()).content.decode()

    shared = alice_client.post(f"/lab/generations/{first.id}/share/", {"index": "0"})
    from agora.gallery.models import Work

    work = Work.objects.get()
    assert shared["Location"] == work.get_absolute_url()
    assert work.source == "lab" and work.seed == 7 and work.model_name == "Moons DDPM"
    assert work.dataset == "moons"  # the gallery filters lab works by their data set


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("steps", "5", "between 10 and"),
        ("dataset", "imagenet", "Select a valid choice"),
        ("family", "transformer", "Select a valid choice"),
        ("family", "gpt", "A text model learns from text"),  # moons are points
        ("seed", "-1", "from 0 to"),
    ],
)
def test_bad_run_settings_are_refused_before_queueing(
    alice_client, django_capture_on_commit_callbacks, field, value, message
):
    response = start(alice_client, django_capture_on_commit_callbacks, **{field: value})
    assert response.status_code == 400 and message in response.content.decode()
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_generation_parameters_are_checked_before_queueing(
    alice, django_capture_on_commit_callbacks
):
    model = _trained_model(alice, django_capture_on_commit_callbacks)
    for kwargs, message in [
        ({"sampler": "ddim", "steps": 5000}, "between 1 and 1000"),
        ({"sampler": "direct"}, "samples with: ddpm, ddim"),
        ({"sampler": "ddim", "guidance": 99}, "between 0 and 20"),
        ({"sampler": "ddim", "labels": [3]}, "not conditional"),
        ({"sampler": "ddim", "count": 0}, "between 1 and 1024"),
        ({"sampler": "ddim", "count": 1025}, "between 1 and 1024"),  # genlab's own limit
        ({"sampler": "ddim", "count": 4096}, "between 1 and 1024"),
    ]:
        params = {"steps": 10, "guidance": 0.0, "seed": 1, "labels": None, "count": 4, **kwargs}
        with pytest.raises(ValidationError, match=message):
            generations.request_generation(user=alice, model=model, **params)
    assert not Generation.objects.exists()


def _trained_model(user, capture) -> LabModel:
    with capture(execute=True):
        run = runs.create_run(
            owner=user, title="t", family="diffusion", dataset="moons", preset="quick", steps=20
        )
    run.refresh_from_db()
    return publishing.publish_model(
        user=user, run=run, name="Moons", card="", licence="mit", private=False
    )


@pytest.mark.django_db
def test_private_runs_and_models_are_invisible_to_others(
    alice, bob, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.create_run(
            owner=alice,
            title="secret",
            family="vae",
            dataset="moons",
            preset="quick",
            steps=20,
            private=True,
        )
    run.refresh_from_db()
    model = publishing.publish_model(
        user=alice, run=run, name="Secret VAE", card="", licence="mit", private=False
    )
    assert model.private  # a private run publishes a private model
    client.force_login(bob)
    assert client.get(run.get_absolute_url()).status_code == 404
    assert client.get(model.get_absolute_url()).status_code == 404
    assert client.get(f"/lab/models/{model.id}/checkpoint.safetensors").status_code == 404
    assert "Secret VAE" not in client.get("/lab/").content.decode()
    assert client.post(f"/lab/runs/{run.id}/cancel/").status_code == 404


@pytest.mark.django_db
def test_cancel_queued_and_resume(alice, bob, client):
    run = runs.create_run(
        owner=alice, title="queued", family="gan", dataset="moons", preset="quick", steps=30
    )
    client.force_login(bob)
    assert client.post(f"/lab/runs/{run.id}/cancel/").status_code == 403
    client.force_login(alice)
    client.post(f"/lab/runs/{run.id}/cancel/")
    run.refresh_from_db()
    assert run.status == "cancelled"
    runs.resume_run(user=alice, run=run)
    run.refresh_from_db()
    assert run.status == "queued"


@pytest.mark.django_db
def test_member_concurrency_limit(alice, settings):
    settings.LAB_MAX_ACTIVE_RUNS_PER_MEMBER = 1
    runs.create_run(
        owner=alice, title="one", family="gan", dataset="moons", preset="quick", steps=30
    )
    with pytest.raises(ValidationError, match="already have 1 runs"):
        runs.create_run(
            owner=alice, title="two", family="gan", dataset="moons", preset="quick", steps=30
        )


@pytest.mark.django_db
def test_a_stalled_run_is_requeued_once_and_resumes_from_its_checkpoint(
    alice, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    run = runs.create_run(
        owner=alice, title="crashy", family="diffusion", dataset="moons", preset="quick", steps=40
    )
    # A worker claims it, then dies without a word.
    lease = execution.claim_run(run_id=run.id, worker="dead-worker")
    assert (
        lease and execution.claim_run(run_id=run.id, worker="second") is None
    )  # never twice at once
    TrainingRun.objects.filter(pk=run.id).update(
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10)
    )
    with capture(execute=True):
        assert execution.recover_stalled() == [run.id]
        assert execution.recover_stalled() == []  # a second recovery finds nothing
    run.refresh_from_db()
    assert run.status == "completed" and run.attempts == 2
    assert "worker lost" in run.log


@pytest.mark.django_db
def test_diverging_training_fails_with_a_clear_message(alice, django_capture_on_commit_callbacks):
    run = runs.create_run(
        owner=alice, title="boom", family="diffusion", dataset="moons", preset="quick", steps=30
    )
    TrainingRun.objects.filter(pk=run.pk).update(
        settings={**run.settings, "lr": 1e9, "max_loss": 1.0}
    )
    with django_capture_on_commit_callbacks(execute=True):
        pass
    execution.execute_run(run_id=run.id, worker="w")
    run.refresh_from_db()
    assert run.status == "failed" and run.error


@pytest.mark.django_db
def test_empty_steps_take_the_presets_steps_for_the_family_and_data_set(alice):
    from genlab.config import resolve_config

    run = runs.create_run(
        owner=alice, title="", family="diffusion", dataset="mnist5k", preset="quick", steps=None
    )
    expected = resolve_config("diffusion", "mnist5k", "quick", kind="image").steps
    assert run.total_steps == run.steps == run.settings["steps"] == expected
    assert TrainingRun.objects.get().steps == expected


@pytest.mark.django_db
@pytest.mark.parametrize("dataset,mults", [("digits", [1, 2]), ("mnist5k", [1, 2, 2])])
def test_site_runs_get_the_same_settings_as_the_command_line(alice, dataset, mults):
    """The UNet and preset follow the data set's own image size on the site as in `genlab train`:
    an 8x8 digits run gets the small-image network, not the 28x28 one."""

    from genlab import cli

    run = runs.create_run(
        owner=alice, title="", family="diffusion", dataset=dataset, preset="quick", steps=None
    )
    seen = {}

    def fake_train(cfg, out_dir, callbacks):
        seen["cfg"] = cfg.to_dict()
        raise SystemExit

    # the command line a member would type, parsed by genlab's own parser
    args = cli.build_parser().parse_args(
        ["train", "diffusion", "--dataset", dataset, "--preset", "quick", "--seed", "0"]
    )
    import genlab.train

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(genlab.train, "train", fake_train)
        with pytest.raises(SystemExit):
            cli.cmd_train(args)
    assert run.settings["mults"] == seen["cfg"]["mults"] == mults
    assert run.settings == seen["cfg"]


@pytest.mark.django_db
def test_generate_form_suggests_guidance_for_class_conditional_diffusion_only(
    alice, alice_client, django_capture_on_commit_callbacks
):
    import re

    moons = _trained_model(alice, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.create_run(
            owner=alice, title="d", family="diffusion", dataset="digits", preset="quick", steps=10
        )
    run.refresh_from_db()
    digits = publishing.publish_model(
        user=alice, run=run, name="Digits", card="", licence="mit", private=False
    )

    def field(model, name: str) -> str | None:
        page = alice_client.get(model.get_absolute_url()).content.decode()
        found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        return found and re.search(r'value="([^"]*)"', found.group(0)).group(1)

    # genlab's measured best settings for conditional diffusion (docs/benchmarks.md)
    assert field(digits, "guidance") == str(generations.DEFAULT_GUIDANCE) == "0.5"
    assert field(digits, "eta") == "1.0" and field(digits, "steps") == "50"
    assert field(moons, "guidance") is None  # unconditional: no labels, so no guidance to ask for
    page = alice_client.get(digits.get_absolute_url()).content.decode()
    assert "Measured best settings: DDIM with 50 steps, eta 1.0, guidance 0.5" in page


@pytest.mark.django_db
def test_generate_form_asks_only_what_the_models_family_uses(
    alice, alice_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = runs.create_run(
            owner=alice, title="v", family="vae", dataset="moons", preset="quick", steps=20
        )
    run.refresh_from_db()
    vae = publishing.publish_model(
        user=alice, run=run, name="VAE", card="", licence="mit", private=False
    )
    page = alice_client.get(vae.get_absolute_url()).content.decode()
    for name in ("steps", "guidance", "eta", "label"):
        assert f'name="{name}"' not in page, name
    assert 'value="direct"' in page and 'value="ddim"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            f"/lab/models/{vae.id}/generate/", {"sampler": "direct", "seed": "2", "count": "100"}
        )
    made = Generation.objects.get()
    assert response["Location"] == made.get_absolute_url()
    assert made.status == "done" and made.recipe["sampler"] == "direct"

    moons = _trained_model(alice, django_capture_on_commit_callbacks)
    page = alice_client.get(moons.get_absolute_url()).content.decode()
    assert 'name="steps"' in page and 'name="eta"' in page and 'value="direct"' not in page
    refused = alice_client.post(
        f"/lab/models/{moons.id}/generate/",
        {"sampler": "direct", "steps": "5", "seed": "1", "count": "4"},
    )
    assert refused.status_code == 400 and Generation.objects.count() == 1


@pytest.mark.django_db
def test_generate_form_takes_ddim_eta_and_refuses_it_out_of_range(
    alice, alice_client, django_capture_on_commit_callbacks
):
    model = _trained_model(alice, django_capture_on_commit_callbacks)
    form = {"sampler": "ddim", "steps": "5", "guidance": "0", "seed": "3", "label": ""}
    form["count"] = "4"
    bad = alice_client.post(f"/lab/models/{model.id}/generate/", {**form, "eta": "1.5"})
    assert bad.status_code == 400 and "eta must be between 0 and 1" in bad.content.decode()
    assert not Generation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/lab/models/{model.id}/generate/", {**form, "eta": "1"})
    stochastic = Generation.objects.get()
    assert stochastic.status == "done" and stochastic.recipe["eta"] == 1.0
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(f"/lab/models/{model.id}/generate/", form)  # empty eta: deterministic
    deterministic = Generation.objects.exclude(pk=stochastic.pk).get()
    assert deterministic.recipe["eta"] == 0.0
    assert deterministic.images_sha256 != stochastic.images_sha256


@pytest.mark.django_db
def test_the_lab_sweep_wakes_lost_generations_and_leaves_live_ones(
    alice, settings, tmp_path, django_capture_on_commit_callbacks
):
    """A generation whose worker died mid-sampling, or whose wake the broker lost, is sampled by
    the sweep; one held by a live worker is left to it."""
    from datetime import timedelta

    settings.MEDIA_ROOT = tmp_path
    model = _trained_model(alice, django_capture_on_commit_callbacks)
    params = {"sampler": "ddim", "steps": 5, "guidance": 0.0, "seed": 1, "labels": None}
    # Never committed in this test: their wakes are lost.
    lost, dead, live = (
        generations.request_generation(user=alice, model=model, count=2, **params) for _ in range(3)
    )
    long_ago = timezone.now() - timedelta(hours=1)
    Generation.objects.update(created_at=long_ago)
    Generation.objects.filter(pk=dead.pk).update(status="running", claimed_at=long_ago)
    Generation.objects.filter(pk=live.pk).update(status="running", claimed_at=timezone.now())
    execution.recover_stalled()
    statuses = dict(Generation.objects.values_list("id", "status"))
    assert statuses == {lost.id: "done", dead.id: "done", live.id: "running"}
    execution.recover_stalled()  # nothing left to wake
    assert Generation.objects.get(pk=live.pk).status == "running"
