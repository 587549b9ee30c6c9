"""The lab's services refuse names longer than their model allows, whatever called them (page,
API, import), and store nothing: they used to cut them silently."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from agora.lab.models import LabDataset, TrainingRun
from agora.lab.services import datasets, runs


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


@pytest.mark.django_db
def test_an_over_long_run_title_is_refused_and_no_run_is_queued(alice):
    with pytest.raises(ValidationError) as refused:
        runs.create_run(
            owner=alice, title="t" * 121, family="vae", dataset="digits", preset="quick", steps=20
        )
    assert "title" in refused.value.message_dict
    assert not TrainingRun.objects.exists()


@pytest.mark.django_db
def test_an_over_long_data_set_name_is_refused_and_no_file_is_kept(alice, settings):
    archive = SimpleUploadedFile("set.zip", b"PK\x05\x06" + b"\x00" * 18)
    with pytest.raises(ValidationError) as refused:
        datasets.upload_dataset(owner=alice, name="n" * 81, archive=archive)
    assert "name" in refused.value.message_dict
    assert not LabDataset.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.zip"))
