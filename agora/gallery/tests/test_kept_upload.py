"""The upload form keeps the chosen file when it comes back with a correction to make: the
member sees "Kept: crane.png" and need not choose the file again; labels stay next to their
own checkboxes."""

import re

import pytest

from agora.gallery.models import Work
from agora.gallery.services import KEPT_DIR
from agora.gallery.tests.test_gallery import png, upload


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def kept_files(media) -> list:
    folder = media / KEPT_DIR
    return sorted(folder.iterdir()) if folder.exists() else []


def token_of(page: str) -> str:
    return re.search(r'name="kept_image" value="([^"]+)"', page).group(1)


def resubmit(client, token: str, **fields):
    form = {"title": "Paper crane", "licence": "cc-by-4.0", "nsfw": "0", "tags": "", **fields}
    return client.post("/gallery/upload/", {**form, "kept_image": token})


@pytest.mark.django_db
def test_a_file_chosen_before_a_correction_is_kept_and_used(alice_client, alice, media):
    response = upload(alice_client, png(), name="crane.png", title="", private="on")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Kept: crane.png" in page
    assert "Choose the file again" not in page
    # the private checkbox is still ticked, inside its own label
    assert re.search(
        r'<label for="id_private" class="checkbox-label"><input type="checkbox" name="private"'
        r"[^>]*checked[^>]*> Private: only I can see it</label>",
        page,
    )
    assert len(kept_files(media)) == 1
    response = resubmit(alice_client, token_of(page), private="on")
    assert response.status_code == 302
    work = Work.objects.get(title="Paper crane")
    assert work.author == alice and work.private and (work.width, work.height) == (64, 48)
    assert kept_files(media) == []  # used, then removed


@pytest.mark.django_db
def test_a_kept_file_survives_a_second_correction_and_a_new_choice_replaces_it(alice_client, media):
    page = upload(alice_client, png(), name="first.png", title="").content.decode()
    again = resubmit(alice_client, token_of(page), title="x")  # still too short
    assert again.status_code == 400 and "Kept: first.png" in again.content.decode()
    replaced = upload(
        alice_client, png(size=(32, 32)), name="second.png", title="", kept_image=token_of(page)
    )
    assert "Kept: second.png" in replaced.content.decode()
    assert len(kept_files(media)) == 1  # the first one is gone
    assert resubmit(alice_client, token_of(replaced.content.decode())).status_code == 302
    assert (Work.objects.get().width, Work.objects.get().height) == (32, 32)


@pytest.mark.django_db
def test_a_refused_file_is_not_kept_and_a_token_is_its_uploaders_alone(
    alice_client, client, bob, media
):
    bad = upload(alice_client, b"not an image at all", name="notes.txt", title="")
    assert bad.status_code == 400 and "Kept:" not in bad.content.decode()
    assert kept_files(media) == []
    page = upload(alice_client, png(), name="crane.png", title="").content.decode()
    client.force_login(bob)
    stolen = resubmit(client, token_of(page))
    assert stolen.status_code == 400 and "Kept:" not in stolen.content.decode()
    assert not Work.objects.exists()
    forged = resubmit(alice_client, token_of(page)[:-2] + "xx")
    assert forged.status_code == 400 and not Work.objects.exists()


@pytest.mark.django_db
def test_canary_a_kept_file_is_never_served_even_to_its_uploader(alice_client, client, media):
    """A kept file may be a private work that is not saved yet: the media view finds nothing
    under tmp/ for anyone, whatever its name."""
    response = upload(alice_client, png(), name="secret.png", title="", private="on")
    assert response.status_code == 400
    (kept,) = kept_files(media)
    url = f"/media/{KEPT_DIR}/{kept.name}"
    assert alice_client.get(url).status_code == 404
    assert client.get(url).status_code == 404
