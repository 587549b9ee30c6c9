"""An uploaded data set with too many images is refused from its listing, before any decoding.

A 34 MB archive of 200,000 one-pixel PNGs needed ~8.5 GB in the worker when every image was
decoded first; the entries here are not even images, so a refusal that names the count proves
that the check stopped before decoding."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agora.lab.models import LabDataset
from genlab.data import load_dataset, zip_entry_count
from genlab.errors import TooManyImages


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"
    settings.LAB_MAX_DATASET_IMAGES = 4


def _zip(count: int, data: bytes = b"not decoded") -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(count):
            archive.writestr(f"{i}.png", data)
    return SimpleUploadedFile("set.zip", out.getvalue(), content_type="application/zip")


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (1, 1)).save(out, format="PNG")
    return out.getvalue()


def _upload(client, archive, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/lab/datasets/", {"name": "many", "archive": archive})
    assert response.status_code == 302


@pytest.mark.django_db
def test_an_archive_over_the_image_limit_is_refused_before_decoding(
    alice_client, alice, django_capture_on_commit_callbacks
):
    _upload(alice_client, _zip(5), django_capture_on_commit_callbacks)
    dataset = LabDataset.objects.get(owner=alice, name="many")
    assert dataset.status == "refused" and not dataset.archive and not dataset.class_counts
    page = alice_client.get("/lab/datasets/").content.decode()
    assert "The archive holds more than 4 images; a data set may have at most 4." in page
    assert "not a readable image" not in page


@pytest.mark.django_db
def test_an_archive_announcing_thousands_of_entries_is_refused_unopened(
    alice_client, alice, django_capture_on_commit_callbacks, tmp_path
):
    archive = _zip(2 * 4 + 1001)  # past twice the limit (folders, "._" files) plus 1,000
    assert zip_entry_count(_saved(archive, tmp_path)) == 1009
    _upload(alice_client, archive, django_capture_on_commit_callbacks)
    assert LabDataset.objects.get(owner=alice, name="many").status == "refused"
    assert "more than 4 images" in alice_client.get("/lab/datasets/").content.decode()


@pytest.mark.django_db
def test_the_refusal_is_in_the_owners_language(
    alice_client, alice, django_capture_on_commit_callbacks
):
    alice.language = "zh-hans"
    alice.save(update_fields=["language"])
    _upload(alice_client, _zip(5), django_capture_on_commit_callbacks)
    assert "压缩包中的图片超过 4 张" in LabDataset.objects.get(owner=alice).error


@pytest.mark.django_db
def test_an_archive_at_the_limit_is_accepted(
    alice_client, alice, django_capture_on_commit_callbacks
):
    _upload(alice_client, _zip(4, _png()), django_capture_on_commit_callbacks)
    dataset = LabDataset.objects.get(owner=alice, name="many")
    assert dataset.status == "ready" and dataset.count == 4


def _saved(upload: SimpleUploadedFile, folder: Path) -> Path:
    path = folder / "copy.zip"
    path.write_bytes(upload.read())
    upload.seek(0)
    return path


def test_genlab_counts_zip64_archives_from_their_end_record(tmp_path):
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(65_536):  # past 65,535 entries zipfile writes a zip64 end record
            archive.writestr(f"{i}.png", b"")
    assert zip_entry_count(path) == 65_536
    with pytest.raises(TooManyImages, match="more than 100 images"):
        load_dataset(str(path), max_images=100)


def test_a_folder_over_the_limit_stops_listing_at_the_limit(tmp_path):
    for i in range(5):
        (tmp_path / f"{i}.png").write_bytes(b"not decoded")
    with pytest.raises(TooManyImages) as refused:
        load_dataset(str(tmp_path), max_images=4)
    assert refused.value.limit == 4
