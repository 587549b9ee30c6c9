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


@pytest.mark.django_db
def test_new_run_page_estimates_every_preset_and_marks_the_calibration(alice_client, alice):
    page = alice_client.get("/lab/runs/new/").content.decode()
    # diffusion on digits (second column): 1,500 quick steps at the calibrated 1 step/s
    assert estimate_cell(page, "Diffusion (DDPM)", 1) == "about 25 minutes · about 5.5 hours*"
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
