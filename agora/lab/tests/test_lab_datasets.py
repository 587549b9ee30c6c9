"""The data sets page: built-in and uploaded sets with their size, items per class and a preview."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agora.lab.models import LabDataset


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 12), (shade, 255 - shade, 40)).save(out, format="PNG")
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return SimpleUploadedFile("set.zip", out.getvalue(), content_type="application/zip")


def _counts(html: str, element_id: str) -> dict[str, int]:
    """The items-per-class table inside one data set's block of the page."""
    start = html.index(f'id="{element_id}"')
    block = html[start : html.index("</table>", start)]
    return {name: int(n) for name, n in re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td>", block)}


@pytest.mark.django_db
def test_uploaded_classes_are_counted_after_the_check(
    alice_client, alice, django_capture_on_commit_callbacks
):
    files = {f"cats/{i}.png": _png(10 * i) for i in range(3)}
    files |= {f"dogs/{i}.png": _png(200 - 10 * i) for i in range(2)}
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post("/lab/datasets/", {"name": "pets", "archive": _zip(files)})
    assert response.status_code == 302

    page = alice_client.get("/lab/datasets/").content.decode()
    dataset = LabDataset.objects.get(owner=alice, name="pets")
    assert dataset.status == "ready"
    assert "5 images" in page
    assert _counts(page, f"upload-{dataset.id}") == {"cats": 3, "dogs": 2}
    assert f'src="{dataset.preview.url}"' in page and dataset.preview.storage.exists(
        dataset.preview.name
    )


@pytest.mark.django_db
def test_a_broken_archive_is_refused_with_its_reason_and_counts_nothing(
    alice_client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            "/lab/datasets/", {"name": "empty", "archive": _zip({"notes.txt": b"no images"})}
        )
    dataset = LabDataset.objects.get(owner=alice, name="empty")
    page = alice_client.get("/lab/datasets/").content.decode()
    assert dataset.status == "refused" and dataset.class_counts == [] and not dataset.archive
    start = page.index(f'id="upload-{dataset.id}"')
    block = page[start : page.index("</li>", start)]
    assert "is not an image" in block and "Items per class" not in block


@pytest.mark.django_db
def test_built_in_sets_show_their_classes_and_preview(alice_client, settings):
    page = alice_client.get("/lab/datasets/").content.decode()
    digits = _counts(page, "dataset-digits")
    assert sorted(digits) == [str(i) for i in range(10)] and sum(digits.values()) == 1797
    assert "1797 images" in page
    moons = _counts(page, "dataset-moons")
    assert set(moons) == {"upper", "lower"}
    assert (settings.MEDIA_ROOT / "lab/datasets/preview-builtin-digits-train.png").is_file()
    assert "/media/lab/datasets/preview-builtin-digits-train.png" in page


def test_the_data_sets_page_needs_a_login(client):
    response = client.get("/lab/datasets/")
    assert response.status_code == 302 and "/login" in response["Location"]
