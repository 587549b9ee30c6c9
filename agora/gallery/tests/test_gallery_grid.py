"""The gallery opens with images: sorts, the filter drawer, thumbnails at two sizes, crisp tiny
images, and the trending order with its time decay."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agora.core import trending
from agora.gallery import services
from agora.gallery.models import Work


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png(size=(64, 48), colour=(200, 100, 50)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def make_work(author, title, *, size=(64, 48), private=False, points=False, data=None) -> Work:
    work, _notes = services.upload_work(
        author=author,
        upload=SimpleUploadedFile("w.png", data or png(size)),
        title=title,
        private=private,
        points=points,
    )
    return work


@pytest.mark.django_db
def test_gallery_opens_with_images_and_keeps_filters_in_a_drawer(client, alice):
    make_work(alice, "Glowing fox")
    page = client.get("/gallery/").content.decode()
    assert page.index('class="work-grid"') > page.index('class="filter-drawer"')
    # the drawer is closed until a filter is applied, then it shows what is applied
    assert re.search(r'<details class="filter-drawer">', page)
    filtered = client.get("/gallery/", {"author": "alice"}).content.decode()
    assert '<details class="filter-drawer" open>' in filtered and "Glowing fox" in filtered


@pytest.mark.django_db
def test_cards_offer_two_webp_thumbnails_and_lazy_loading(client, alice, media):
    work = make_work(alice, "Wide dunes", size=(800, 400))
    page = client.get("/gallery/").content.decode()
    card = re.search(r"<img [^>]*alt=\"Wide dunes\"[^>]*>", page, re.S).group(0)
    assert 'loading="lazy"' in card and 'width="800" height="400"' in card
    srcset = re.search(r'srcset="([^"]+)"', card).group(1)
    assert srcset == f"{work.thumbnail_small.url} 256w, {work.thumbnail.url} 512w"
    with Image.open(media / work.thumbnail_small.name) as small:
        assert small.format == "WEBP" and small.size == (256, 128)
    # both sizes are served like the work itself
    assert client.get(work.thumbnail_small.url).status_code == 200


@pytest.mark.django_db
def test_tiny_images_are_enlarged_crisp_never_an_eight_pixel_speck(client, alice, media):
    digit = Image.new("L", (8, 8), 0)
    digit.putpixel((3, 3), 255)
    data = io.BytesIO()
    digit.save(data, format="PNG")
    work = make_work(alice, "Digit seven", data=data.getvalue())
    with Image.open(media / work.thumbnail.name) as thumb:
        assert thumb.size == (512, 512)
        # nearest-neighbour: one source pixel is a 64x64 block of one value, edges sharp
        assert thumb.convert("L").getpixel((3 * 64 + 1, 3 * 64 + 1)) > 240
        assert thumb.convert("L").getpixel((3 * 64 - 1, 3 * 64 + 1)) < 15
    page = client.get("/gallery/").content.decode()
    card = re.search(r"<img [^>]*alt=\"Digit seven\"[^>]*>", page, re.S).group(0)
    assert 'class="pixelated"' in card
    assert "pixelated" in client.get(work.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_point_clouds_keep_visible_dots_in_the_thumbnail(alice, media):
    cloud = Image.new("RGB", (256, 256), (255, 255, 255))
    for x in range(20, 236, 24):
        cloud.putpixel((x, 128), (20, 60, 160))
    data = io.BytesIO()
    cloud.save(data, format="PNG")
    plain = make_work(alice, "Plain", data=data.getvalue())
    drawn = make_work(alice, "Moons", data=data.getvalue(), points=True)

    def dark_pixels(work):
        with Image.open(media / work.thumbnail_small.name) as thumb:
            return sum(1 for v in thumb.convert("L").tobytes() if v < 160)

    assert dark_pixels(drawn) >= 9 * dark_pixels(plain) > 0


@pytest.mark.django_db
def test_sorts_newest_most_reacted_and_trending_this_week(client, alice, bob, charlie):
    old = make_work(alice, "Old favourite")
    loved = make_work(alice, "Loved today")
    make_work(alice, "Quiet today")
    for member in (bob, charlie):
        services.toggle_reaction(user=member, work=old, kind="like")
        services.toggle_reaction(user=member, work=old, kind="wow")
        services.toggle_reaction(user=member, work=loved, kind="like")
    long_ago = timezone.now() - timedelta(days=20)
    Work.objects.filter(pk=old.pk).update(
        created_at=long_ago, trending_score=trending.score(4, long_ago)
    )

    def order(sort):
        page = client.get("/gallery/", {"sort": sort}).content.decode()
        titles = ["Old favourite", "Loved today", "Quiet today"]
        return sorted((page.index(t), t) for t in titles if t in page)

    assert [t for _i, t in order("newest")] == ["Quiet today", "Loved today", "Old favourite"]
    assert [t for _i, t in order("reacted")] == ["Old favourite", "Loved today", "Quiet today"]
    # trending: this week only, reactions weighed against age
    assert [t for _i, t in order("trending")] == ["Loved today", "Quiet today"]
    page = client.get("/gallery/", {"sort": "trending"}).content.decode()
    assert 'aria-current="page">Trending this week<' in page
    # taking a reaction back lowers the score again
    services.toggle_reaction(user=bob, work=loved, kind="like")
    services.toggle_reaction(user=charlie, work=loved, kind="like")
    loved.refresh_from_db()
    assert loved.trending_score == trending.score(0, loved.created_at)
    # an unknown sort is the newest first, not an error
    assert client.get("/gallery/", {"sort": "'; drop"}).status_code == 200


def test_trending_formula_trades_ten_times_the_reactions_for_twelve_and_a_half_hours():
    now = timezone.now()
    assert trending.score(10, now) == trending.score(100, now - timedelta(seconds=45_000))
    assert trending.score(0, now) == trending.score(1, now)


@pytest.mark.django_db
def test_sorted_pages_scroll_on_and_hide_private_works(client, alice, bob):
    for i in range(26):
        make_work(alice, f"Work {i:02d}")
    make_work(alice, "Secret sketch", private=True)
    first = client.get("/gallery/", {"sort": "reacted"})
    assert "Secret sketch" not in first.content.decode()
    nxt = first.context["next_cursor"]
    assert f'data-hx-get="?cursor={nxt}&amp;sort=reacted"' in first.content.decode() or (
        f'data-hx-get="?cursor={nxt}&sort=reacted"' in first.content.decode()
    )
    more = client.get("/gallery/", {"sort": "reacted", "cursor": nxt}, HTTP_HX_REQUEST="true")
    shown = set(re.findall(r"Work \d\d", first.content.decode())) | set(
        re.findall(r"Work \d\d", more.content.decode())
    )
    assert len(shown) == 26 and "Secret sketch" not in more.content.decode()
    client.force_login(bob)
    assert "Secret sketch" not in client.get("/gallery/", {"sort": "trending"}).content.decode()
    client.force_login(alice)
    assert "Secret sketch" in client.get("/gallery/", {"sort": "trending"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "queries"), [(None, 1), ("alice", 5)])
def test_gallery_costs_the_same_queries_whatever_the_sort(
    client, alice, bob, persona, queries, django_assert_num_queries, request
):
    for i in range(30):
        make_work(bob, f"Work {i}")
    if persona:
        client.force_login(request.getfixturevalue(persona))
    client.get("/gallery/")  # the layout's cached pieces are built once
    for sort in ("newest", "reacted", "trending"):
        with django_assert_num_queries(queries):
            assert client.get("/gallery/", {"sort": sort}).status_code == 200


@pytest.mark.django_db
def test_after_a_correction_the_upload_form_keeps_the_file_and_labels_by_boxes(client, alice):
    client.force_login(alice)
    response = client.post(
        "/gallery/upload/",
        {
            "title": "",
            "licence": "cc-by-4.0",
            "nsfw": "0",
            "private": "on",
            "image": SimpleUploadedFile("w.png", png()),
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Work.objects.exists()
    assert "Kept: w.png" in page  # the checked file waits for the corrected form
    # each checkbox sits inside its own label, the typed title and the ticked box are kept
    assert re.search(
        r'<label for="id_private" class="checkbox-label"><input type="checkbox" name="private"'
        r"[^>]*checked[^>]*> Private: only I can see it</label>",
        page,
    )
    assert re.search(r'<label for="id_recipe_hidden" class="checkbox-label"><input', page)
