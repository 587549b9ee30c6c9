import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from agora.accounts.models import User


def png_bytes(size=(600, 400), color=(200, 30, 90), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "SpyCam"  # camera make
        data[0x0110] = "Model X"
        data[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)}  # GPS
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="PNG")
    return out.getvalue()


def bomb_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny PNG whose header claims billions of pixels."""
    raw = png_bytes((1, 1))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    start = raw.index(b"IHDR") - 4
    end = start + 8 + 13 + 4
    return (
        raw[:start]
        + struct.pack(">I", 13)
        + chunk
        + struct.pack(">I", zlib.crc32(chunk))
        + raw[end:]
    )


@pytest.mark.django_db
def test_public_profile_shows_what_the_member_wrote(client, alice):
    alice.bio = "Diffusion on CPUs."
    alice.skills = ["pytorch", "diffusion"]
    alice.links = ["https://example.org/alice"]
    alice.save()
    body = client.get("/u/alice/").content.decode()
    assert "Alice Martin" in body
    assert "Diffusion on CPUs." in body
    assert "pytorch" in body
    assert 'href="https://example.org/alice"' in body
    assert "Edit profile" not in body


@pytest.mark.django_db
def test_a_deactivated_member_is_hidden_from_others_but_not_from_staff(client, alice, staff):
    alice.is_active = False
    alice.save()
    assert client.get("/u/alice/").status_code == 404
    client.force_login(staff)
    assert client.get("/u/alice/").status_code == 200


@pytest.mark.django_db
def test_profile_page_costs_a_constant_number_of_queries(
    client, alice, django_assert_max_num_queries
):
    # (10: main's nine, with challenge wins, plus the texts the member's models wrote)
    with django_assert_max_num_queries(10):
        client.get("/u/alice/")


@pytest.mark.django_db
def test_home_costs_a_constant_number_of_queries(
    client, alice, bob, charlie, django_assert_max_num_queries
):
    # the layout, topics and categories, plus one query per strip of what is alive
    # (agora/core/tests/test_home_alive.py pins them per persona)
    with django_assert_max_num_queries(10):
        client.get("/")


@pytest.mark.django_db
def test_member_edits_their_profile(alice_client, alice):
    response = alice_client.post(
        "/settings/profile/",
        {
            "display_name": "Alice M.",
            "bio": "Hello",
            "links": "https://github.com/alice\nhttps://huggingface.co/alice",
            "skills": "PyTorch, Diffusion，GAN",
            "interests": "text-to-image",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == "Alice M."
    assert alice.links == ["https://github.com/alice", "https://huggingface.co/alice"]
    assert alice.skills == ["pytorch", "diffusion", "gan"]
    assert alice.interests == ["text-to-image"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("links", "javascript:alert(1)", "is not a valid http(s) URL"),
        ("links", "ftp://example.org/file", "is not a valid http(s) URL"),
        ("skills", "<script>", "is not a valid skills entry"),
        ("display_name", "x" * 81, "at most 80 characters"),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(
    alice_client, alice, field, value, message
):
    data = {"display_name": "Changed", "bio": "", "links": "", "skills": "", "interests": ""}
    data[field] = value
    response = alice_client.post("/settings/profile/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert alice.display_name == "Alice Martin"


@pytest.mark.django_db
def test_anonymous_visitors_cannot_edit_profiles(client, alice):
    response = client.post("/settings/profile/", {"display_name": "Hacked"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    alice.refresh_from_db()
    assert alice.display_name == "Alice Martin"


@pytest.mark.django_db
def test_avatar_is_reencoded_square_and_stripped_of_metadata(
    alice_client, alice, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("me.jpg", png_bytes(exif=True), content_type="image/jpeg")
    response = alice_client.post("/settings/avatar/", {"avatar": upload})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.avatar.name.endswith(".webp")
    with Image.open(alice.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (256, 256)
        assert not stored.getexif()
        assert "exif" not in stored.info
    served = alice_client.get(alice.avatar.url)
    assert served.status_code == 200


@pytest.mark.django_db
def test_replacing_an_avatar_removes_the_old_file(
    alice_client, alice, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/settings/avatar/", {"avatar": SimpleUploadedFile("a.png", png_bytes())})
    alice.refresh_from_db()
    first = alice.avatar.path
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            "/settings/avatar/", {"avatar": SimpleUploadedFile("b.png", png_bytes(color=(0, 0, 0)))}
        )
    alice.refresh_from_db()
    assert alice.avatar.path != first
    assert not (tmp_path / first).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"GIF89a this is not really an image", "not a valid image"),
        (b"#!/bin/sh\nrm -rf /\n", "not a valid image"),
        (bomb_png(), "too"),
    ],
    ids=["fake-gif", "script", "decompression-bomb"],
)
def test_bad_avatars_are_refused_and_change_nothing(
    alice_client, alice, settings, tmp_path, content, message
):
    settings.MEDIA_ROOT = tmp_path
    response = alice_client.post(
        "/settings/avatar/", {"avatar": SimpleUploadedFile("evil.png", content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert not alice.avatar
    assert not any(tmp_path.rglob("*.*"))


@pytest.mark.django_db
def test_oversized_avatar_is_refused(alice_client, alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.AVATAR_MAX_BYTES = 1000
    response = alice_client.post(
        "/settings/avatar/", {"avatar": SimpleUploadedFile("big.png", png_bytes())}
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    alice.refresh_from_db()
    assert not alice.avatar


@pytest.mark.django_db
def test_members_list_only_active_newest_first(alice, bob):
    from agora.accounts.selectors import newest_members

    User.objects.filter(pk=bob.pk).update(is_active=False)
    assert newest_members() == [alice]


@pytest.mark.django_db
def test_members_directory_pages_with_htmx_fragments(client, django_assert_max_num_queries):
    from agora.conftest import make_member

    for i in range(30):
        make_member(f"member{i:02d}")
    with django_assert_max_num_queries(3):
        first = client.get("/members/")
    body = first.content.decode()
    assert "<html" in body and "member29" in body and "member06" in body
    assert "member05" not in body  # 24 per page, newest first
    cursor = first.context["next_cursor"]
    with django_assert_max_num_queries(3):
        more = client.get(f"/members/?before={cursor}", HTTP_HX_REQUEST="true")
    fragment = more.content.decode()
    assert "<html" not in fragment  # just the partial
    assert "member05" in fragment and "member00" in fragment
    assert "member29" not in fragment
    assert "Show more members" not in fragment


@pytest.mark.django_db
def test_members_directory_ignores_a_garbage_cursor(client, alice):
    response = client.get("/members/?before=abc")
    assert response.status_code == 200
    assert "Alice Martin" in response.content.decode()


@pytest.mark.django_db
def test_mention_suggestions_match_usernames_and_names(client, alice, bob):
    assert client.get("/members/suggest/?q=@al").json() == {
        "members": [{"username": "alice", "name": "Alice Martin"}]
    }
    assert client.get("/members/suggest/?q=").json() == {"members": []}
