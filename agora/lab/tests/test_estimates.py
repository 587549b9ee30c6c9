"""The lab says how long a preset will take on this server: measured speed of finished runs,
a marked calibration until there is one, durations in words in both languages."""

import pytest

from agora.lab import execution
from agora.lab.models import TrainingRun
from agora.lab.services import runs


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def estimate_cell(page: str, family_label: str, column: int) -> str:
    row = page.split(f'<th scope="row">{family_label}</th>')[1].split("</tr>")[0]
    return row.split("<td>")[column + 1].split("</td>")[0]


TABLE = {
    "measured_at": "2026-12-03 15:05 UTC",
    "machine": "test machine, 2 cores",
    "load_average_before": [9.31, 8.0, 5.0],
    "loaded": True,
    "image_threads": 2,
    "image_thread_factor": 0.5,
    "rates": {
        "diffusion": {
            "digits": {"quick": {"steps_per_s": 1.0}, "quality": {"steps_per_s": 1.0}},
            "moons": {"quick": {"steps_per_s": 30.0}, "quality": {"steps_per_s": 30.0}},
        },
        "latent": {"digits": {"quick": {"steps_per_s": 7.0}, "quality": {"steps_per_s": 6.0}}},
    },
}


@pytest.fixture
def table(monkeypatch, settings):
    """A calibration table as bench/lab.py --calibrate writes it; one image thread."""
    from agora.lab import estimates

    settings.LAB_TORCH_THREADS = 1
    monkeypatch.setattr(estimates, "calibration", lambda: TABLE)
    return TABLE


@pytest.mark.django_db
def test_new_run_page_estimates_every_preset_from_the_bench_and_marks_it(
    alice_client, alice, table
):
    page = alice_client.get("/lab/runs/new/").content.decode()
    # diffusion on digits (second column): 1,500 quick steps at the bench's 1 step/s
    assert estimate_cell(page, "Diffusion (DDPM)", 1) == "about 25 minutes · about 5.5 hours*"
    # the footnote says when and under what load the bench ran, and that a busy server's
    # figures are upper bounds
    assert "measured 2026-12-03 15:05 UTC, load average 9.3" in page
    assert "these are upper bounds" in page
    TrainingRun.objects.create(
        owner=alice,
        title="Fast one",
        family="diffusion",
        dataset="digits",
        steps=1500,
        total_steps=1500,
        step=1500,
        status=TrainingRun.Status.COMPLETED,
        steps_per_s=5.0,
    )
    page = alice_client.get("/lab/runs/new/").content.decode()
    assert estimate_cell(page, "Diffusion (DDPM)", 1) == "about 5 minutes · about 1 hour"
    zh = alice_client.get("/lab/runs/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "约 5 分钟 · 约 1 小时" in zh
    assert "这些时间是上限" in zh


@pytest.mark.django_db
def test_estimates_count_both_stages_and_the_workers_image_threads(table, settings):
    from agora.lab.estimates import estimates_for

    def seconds(dataset, family):
        return {e.preset: e.seconds for e in estimates_for(dataset) if e.family == family}

    # latent diffusion trains its VAE (3,000 steps) before its 4,000 diffusion steps
    assert seconds("digits", "latent")["quick"] == pytest.approx(7000 / 7.0)
    # on two image threads the bench measured half the one-thread speed: twice as long
    settings.LAB_TORCH_THREADS = 2
    assert seconds("digits", "diffusion")["quick"] == pytest.approx(1500 / 0.5)
    assert seconds("moons", "diffusion")["quick"] == pytest.approx(3000 / 30.0)  # one thread
    # a family the table lacks falls back to the rule of thumb (a VAE: 5 steps/s on digits)
    assert seconds("digits", "vae")["quick"] == pytest.approx(3000 / 5.0)


def test_the_committed_calibration_covers_every_family_and_built_in_data_set():
    """bench/lab.py --calibrate wrote the table the page reads, with when, where and under
    what load it was measured."""
    from agora.lab.estimates import calibration
    from agora.lab.models import BUILTIN_DATASETS, FAMILY_CHOICES, TEXT_DATASETS, TEXT_FAMILIES
    from genlab.config import resolve_config
    from genlab.errors import ConfigError

    table = calibration()
    for key in ("measured_at", "machine", "load_average_before", "loaded", "image_threads"):
        assert key in table, key
    missing = []
    for family, _label in FAMILY_CHOICES:
        if family in TEXT_FAMILIES:
            continue
        for dataset in BUILTIN_DATASETS:
            if dataset in TEXT_DATASETS:
                continue
            for preset in ("quick", "quality"):
                try:
                    resolve_config(family, dataset, preset)
                except ConfigError:  # a family that does not learn this kind of data
                    continue
                entry = table["rates"].get(family, {}).get(dataset, {}).get(preset)
                if not entry or entry["steps_per_s"] <= 0:
                    missing.append((family, dataset, preset))
    assert missing == []


@pytest.mark.django_db
def test_new_run_page_costs_a_constant_number_of_queries(
    alice_client, alice, django_assert_num_queries
):
    alice_client.get("/lab/runs/new/")
    with django_assert_num_queries(6):  # with the models a run may start from ("Start from")
        alice_client.get("/lab/runs/new/")


@pytest.mark.django_db
def test_a_finished_run_stores_its_measured_speed(alice):
    settings = runs.validate_run(
        user=alice, family="vae", dataset="moons", preset="quick", steps=20, seed=1
    )
    run = TrainingRun.objects.create(
        owner=alice,
        title="Tiny",
        family="vae",
        dataset="moons",
        steps=20,
        seed=1,
        total_steps=20,
        settings=settings,
    )
    assert execution.execute_run(run_id=run.id, worker="test") == TrainingRun.Status.COMPLETED
    run.refresh_from_db()
    assert run.steps_per_s > 0
