"""Hostile uploads and requests: polyglots, decompression bombs, zip-slip and zip bombs, wrong
extensions, oversized bodies, path traversal on media URLs. Each is refused with a clear message
or defused (re-encoded from pixels), and nothing is left on disk."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _png(size=(32, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (9, 99, 199)).save(out, format="PNG")
    return out.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny file whose header claims a huge image: a decompression bomb."""
    data = bytearray(_png((1, 1)))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    return bytes(data)


def _stored(media):
    return [p for p in media.rglob("*") if p.is_file()]


POLYGLOTS = {
    "png-with-html-after-iend": _png() + b"<html><script>window.__xss=1</script></html>",
    "png-with-php": _png()[:33] + b"<?php system($_GET['c']); ?>" + _png()[33:],
    "gif-js-polyglot": b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=window.__xss=1;//;",
    "svg-named-png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"/>',
    "html-named-png": b"<!doctype html><script>window.__xss=1</script>",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(POLYGLOTS))
def test_polyglots_are_refused_or_rewritten_from_pixels(alice_client, media, name):
    response = alice_client.post(
        "/composer/upload/", {"image": SimpleUploadedFile("innocent.png", POLYGLOTS[name])}
    )
    if response.status_code == 400:
        assert "not a valid image" in response.json()["error"]
        assert _stored(media) == []
        return
    assert response.status_code == 200
    [stored] = _stored(media)
    assert stored.suffix == ".webp"
    content = stored.read_bytes()
    assert b"<script" not in content and b"<?php" not in content and b"__xss" not in content
    served = alice_client.get(response.json()["markdown"].split("(")[1].rstrip(")"))
    assert served["Content-Type"] == "image/webp"
    assert "sandbox" in served["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("filename", ["evil.html", "evil.php.png", "../../etc/passwd.png", "x.svg"])
def test_the_name_a_member_gives_is_never_the_name_stored(alice_client, media, filename):
    response = alice_client.post(
        "/composer/upload/", {"image": SimpleUploadedFile(filename, _png())}
    )
    assert response.status_code == 200
    [stored] = _stored(media)
    assert stored.suffix == ".webp" and stored.is_relative_to(media)
    assert "passwd" not in stored.name and "evil" not in stored.name


@pytest.mark.django_db
def test_a_decompression_bomb_is_refused_before_decoding(alice_client, media):
    bomb = _png_declaring(60_000, 60_000)
    assert len(bomb) < 200
    for url, field in [("/composer/upload/", "image"), ("/settings/avatar/", "avatar")]:
        response = alice_client.post(url, {field: SimpleUploadedFile("bomb.png", bomb)})
        assert response.status_code in {200, 400}
        text = response.content.decode()
        assert "too many pixels" in text or "too large to open safely" in text, url
    assert _stored(media) == []


@pytest.mark.django_db
def test_an_oversized_image_is_refused_with_the_limit(alice_client, media):
    big = SimpleUploadedFile("big.png", _png() + b"\0" * (10 * 1024 * 1024 + 1))
    response = alice_client.post("/composer/upload/", {"image": big})
    assert response.status_code == 400
    assert "too large" in response.json()["error"]
    assert _stored(media) == []


@pytest.mark.django_db
def test_an_oversized_form_body_is_refused(alice_client, alice, settings):
    body = "display_name=Big&bio=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = alice_client.post(
        "/settings/profile/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.bio == "" and alice.display_name == "Alice Martin"


def _zip(entries: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> SimpleUploadedFile:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return SimpleUploadedFile("set.zip", out.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"../../evil.png": _png(), "cats/a.png": _png()}, "escapes the archive"),
        ({"/etc/cron.d/x.png": _png()}, "escapes the archive"),
        ({"cats/a.png": _png(), "cats/run.sh": b"rm -rf /"}, "is not an image"),
        ({"cats/huge.png": b"\0" * (65 * 1024 * 1024)}, "too large"),
        ({"cats/bomb.png": _png_declaring(60_000, 60_000)}, ""),
    ],
    ids=["zip-slip", "absolute", "not-an-image", "zip-bomb-entry", "pixel-bomb"],
)
def test_hostile_dataset_archives_are_refused_and_deleted(alice, media, entries, message):
    from agora.lab.execution import check_dataset
    from agora.lab.models import LabDataset
    from agora.lab.services.datasets import upload_dataset

    dataset = upload_dataset(owner=alice, name="hostile", archive=_zip(entries))
    checked = check_dataset(dataset_id=dataset.id)
    assert checked.status == LabDataset.Status.REFUSED
    assert message in checked.error
    assert _stored(media) == []  # the archive is gone, and nothing was extracted anywhere
    assert not (media.parent / "evil.png").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/media/../agora/settings.py",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/..%2f..%2fetc%2fpasswd",
        "/media/....//....//etc/passwd",
        "/media/%252e%252e/etc/passwd",
        "/media//etc/passwd",
        "/media/",
        "/media/works/",
        "/media/C:\\Windows\\win.ini",
        "/media/%00.png",
    ],
)
def test_media_urls_cannot_escape_the_media_folder(client, media, path):
    (media.parent / "secret.txt").write_text("top secret")
    (media / "works").mkdir()
    response = client.get(path)
    assert response.status_code in {400, 404}, path
    assert b"top secret" not in b"".join(getattr(response, "streaming_content", [b""]))
