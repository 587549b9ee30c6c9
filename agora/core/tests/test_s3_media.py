"""Uploaded media on real S3-compatible storage (SeaweedFS, started by `make test-postgres` through
agora/core/seaweedfs.py): files land in the bucket, every address is still Agora's checked
`/media/<path>`, which redirects whoever may see the file to a short-lived signed address and
answers 404 to everyone else; the bucket itself refuses unsigned reads."""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

pytestmark = [pytest.mark.s3, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def bucket(settings):
    """The S3 client of the test bucket; these tests need the S3 settings at start-up."""
    if not settings.S3_BUCKET:
        if os.environ.get("AGORA_S3_REQUIRED"):
            pytest.fail("AGORA_S3_REQUIRED is set but AWS_STORAGE_BUCKET_NAME is not")
        pytest.skip("runs in `make test-postgres`, against SeaweedFS (agora/core/seaweedfs.py)")
    from django.core.files.storage import default_storage

    return default_storage.connection.meta.client


def _png(size=(40, 30), colour=(200, 40, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _fetch(client: Client, url: str) -> Image.Image:
    """Ask Agora for a media URL as this client; follow its redirect to S3; the image."""
    response = client.get(url)
    assert response.status_code == 302, response.status_code
    assert response["Cache-Control"] == "private, max-age=60"
    with urllib.request.urlopen(response["Location"], timeout=10) as answer:  # noqa: S310
        return Image.open(io.BytesIO(answer.read()))


def _unsigned(bucket, key: str) -> int:
    endpoint = bucket.meta.endpoint_url
    try:
        urllib.request.urlopen(f"{endpoint}/{os.environ['AWS_STORAGE_BUCKET_NAME']}/{key}")  # noqa: S310
    except urllib.error.HTTPError as exc:
        return exc.code
    return 200


def test_a_composer_image_is_stored_in_s3_and_shown_only_to_its_uploader(
    bucket, alice, bob, settings
):
    uploader = _client(alice)
    response = uploader.post("/composer/upload/", {"image": SimpleUploadedFile("p.png", _png())})
    assert response.status_code == 200
    url = response.json()["url"]
    assert url.startswith("/media/")
    key = url.removeprefix("/media/")
    assert bucket.head_object(Bucket=settings.S3_BUCKET, Key=key)["ContentLength"] > 0
    assert _fetch(uploader, url).size == (40, 30)
    # Not in a post yet: a draft of its uploader's. Others get 404, as on local disk.
    assert _client(bob).get(url).status_code == 404
    assert _client().get(url).status_code == 404
    assert _unsigned(bucket, key) == 403  # the bucket is not a way around the check


def test_a_private_work_in_s3_is_404_to_strangers(bucket, alice, charlie, settings):
    from agora.gallery.services import upload_work

    work, _notes = upload_work(
        author=alice,
        upload=SimpleUploadedFile("w.png", _png((64, 48))),
        title="Mine",
        private=True,
    )
    url = work.image.url
    assert url == f"/media/{work.image.name}"
    assert _fetch(_client(alice), url).size == (64, 48)
    assert _client(charlie).get(url).status_code == 404
    assert _client().get(url).status_code == 404
    assert _client(charlie).get("/media/works/no-such-file.png").status_code == 404


def test_an_avatar_in_s3_is_public(bucket, alice, settings):
    member = _client(alice)
    response = member.post("/settings/avatar/", {"avatar": SimpleUploadedFile("a.png", _png())})
    assert response.status_code == 302
    alice.refresh_from_db()
    stored = bucket.get_object(Bucket=settings.S3_BUCKET, Key=alice.avatar.name)["Body"].read()
    assert Image.open(io.BytesIO(stored)).size == (256, 256)
    shown = _fetch(_client(), alice.avatar.url)  # anyone may see an avatar
    assert (shown.format, shown.size) == ("WEBP", (256, 256))


def test_an_uploaded_data_set_is_checked_and_trained_from_s3(
    bucket, alice, bob, settings, tmp_path, django_capture_on_commit_callbacks
):
    import zipfile

    from agora.lab.models import LabDataset
    from agora.lab.selectors import dataset_path

    settings.VAR_DIR = tmp_path  # a machine that has never seen the archive
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(3):
            zf.writestr(f"cats/{i}.png", _png((12, 12), (10 * i, 90, 40)))
            zf.writestr(f"dogs/{i}.png", _png((12, 12), (200, 10 * i, 40)))
    upload = SimpleUploadedFile("set.zip", archive.getvalue(), content_type="application/zip")
    owner = _client(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner.post("/lab/datasets/", {"name": "pets", "archive": upload})
    assert response.status_code == 302
    dataset = LabDataset.objects.get(owner=alice, name="pets")
    assert dataset.status == LabDataset.Status.READY, dataset.error
    assert dataset.count == 6 and dataset.classes == ["cats", "dogs"]
    assert bucket.head_object(Bucket=settings.S3_BUCKET, Key=dataset.archive.name)
    # The preview is in the bucket, shown to its owner only.
    preview_url = f"/media/{dataset.preview.name}"
    assert _fetch(owner, preview_url).size[0] > 0
    assert _client(bob).get(preview_url).status_code == 404
    # A worker on another machine trains from a local copy fetched from the bucket.
    local = dataset_path(dataset.key)
    assert local.startswith(str(tmp_path)) and zipfile.ZipFile(local).testzip() is None
