import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from agora.forum.models import Draft
from agora.gallery import metadata
from agora.gallery.models import Work

A1111 = (
    "a watercolor fox in a misty forest, <lora:style:0.8>\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567890, Size: 512x768, "
    'Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "style: abc123"'
)
COMFY_PROMPT = {
    "3": {
        "class_type": "KSampler",
        "inputs": {
            "seed": 42,
            "steps": 20,
            "cfg": 7.5,
            "sampler_name": "euler",
            "scheduler": "normal",
            "positive": ["6", 0],
            "negative": ["7", 0],
            "model": ["4", 0],
        },
    },
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"},
    },
    "5": {
        "class_type": "EmptyLatentImage",
        "inputs": {"width": 1024, "height": 1024, "batch_size": 1},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "a lighthouse at dawn", "clip": ["4", 1]},
    },
    "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "text, watermark", "clip": ["4", 1]}},
}


def png(texts: dict[str, str] | None = None, size=(64, 48)) -> bytes:
    info = PngInfo()
    for key, value in (texts or {}).items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_user_comment(text: str) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # camera make
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + text.encode("utf-16-be")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(client, data: bytes, name="work.png", follow=False, **fields):
    form = {"title": "My work", "licence": "cc-by-4.0", "nsfw": "0", "tags": "", **fields}
    form["image"] = SimpleUploadedFile(name, data)
    return client.post("/gallery/upload/", form, follow=follow)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.mark.django_db
def test_a1111_parameters_become_the_recipe(alice_client):
    response = upload(alice_client, png({"parameters": A1111}))
    work = Work.objects.get()
    assert response["Location"] == work.get_absolute_url()
    assert work.prompt.startswith("a watercolor fox") and work.negative_prompt == "blurry, lowres"
    assert (work.steps, work.sampler, work.guidance, work.seed) == (
        28,
        "DPM++ 2M Karras",
        6.5,
        1234567890,
    )
    assert (work.recipe_width, work.recipe_height, work.model_hash) == (512, 768, "6ce0161689")
    assert work.model_name == "v1-5-pruned-emaonly" and work.metadata_source == "a1111"
    assert work.raw_metadata == A1111
    page = alice_client.get(work.get_absolute_url()).content.decode()
    assert "AI-generated" in page and "DPM++ 2M Karras" in page and "1234567890" in page


@pytest.mark.django_db
def test_comfyui_graph_becomes_the_recipe_and_bad_workflow_is_ignored(alice_client):
    response = upload(
        alice_client,
        png({"prompt": json.dumps(COMFY_PROMPT), "workflow": "{not json"}),
        follow=True,
    )
    work = Work.objects.get()
    assert (work.prompt, work.negative_prompt) == ("a lighthouse at dawn", "text, watermark")
    assert (work.seed, work.steps, work.guidance, work.sampler) == (42, 20, 7.5, "euler normal")
    assert work.model_name == "sd_xl_base_1.0.safetensors" and work.recipe_width == 1024
    assert "workflow: not valid JSON, ignored" in response.content.decode()


@pytest.mark.django_db
def test_exif_user_comment_is_read_and_gps_and_camera_are_stripped(alice_client, media):
    upload(alice_client, jpeg_with_user_comment(A1111), name="fox.jpg")
    work = Work.objects.get()
    assert work.seed == 1234567890 and work.metadata_source == "exif"
    with Image.open(work.image.path) as stored:
        assert not stored.getexif() and "exif" not in stored.info


@pytest.mark.django_db
def test_malformed_metadata_is_ignored_field_by_field(alice_client):
    upload(alice_client, png({"prompt": "[1, 2"}))
    work = Work.objects.get()
    assert work.prompt == "" and work.seed is None
    odd = "a cat\nSteps: lots, Seed: -5, CFG scale: 9000, Size: hugexhuge"
    recipe = metadata.Recipe()
    metadata.parse_a1111(odd, recipe)
    assert (recipe.prompt, recipe.steps, recipe.seed, recipe.guidance, recipe.width) == (
        "a cat",
        None,
        None,
        None,
        None,
    )


@pytest.mark.django_db
def test_huge_text_chunks_are_ignored_not_fatal(alice_client):
    response = upload(alice_client, png({"parameters": "x" * 70_000}), follow=True)
    assert response.status_code == 200
    assert Work.objects.get().prompt == ""
    assert "too large, ignored" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [(b"not an image at all", "not a valid image"), (png(size=(8, 8))[:40], "not a valid image")],
    ids=["garbage", "truncated"],
)
def test_hostile_files_are_refused_and_store_nothing(alice_client, media, content, message):
    response = upload(alice_client, content)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Work.objects.exists() and not any(media.rglob("*.*"))


@pytest.mark.django_db
def test_private_works_are_invisible_to_others(alice_client, alice, bob):
    upload(alice_client, png(), private="on", title="Secret sketch")
    work = Work.objects.get()
    other = Client()
    other.force_login(bob)
    assert other.get(work.get_absolute_url()).status_code == 404
    assert "Secret sketch" not in other.get("/gallery/").content.decode()
    assert other.get(f"/gallery/{work.id}/download.png").status_code == 404
    assert "Secret sketch" in alice_client.get("/gallery/").content.decode()


@pytest.mark.django_db
def test_hidden_recipe_and_nsfw_blur(alice_client, bob):
    upload(alice_client, png({"parameters": A1111}), recipe_hidden="on", nsfw="2")
    work = Work.objects.get()
    viewer = Client()
    viewer.force_login(bob)
    page = viewer.get(work.get_absolute_url()).content.decode()
    assert "1234567890" not in page and "keeps the recipe private" in page
    assert "blurred" in page
    viewer.post("/gallery/settings/", {"level": "2"})
    assert "work-image blurred" not in viewer.get(work.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_download_carries_recipe_and_iptc_source_type(alice_client):
    upload(alice_client, png({"parameters": A1111}))
    work = Work.objects.get()
    response = alice_client.get(f"/gallery/{work.id}/download.png")
    with Image.open(io.BytesIO(response.content)) as downloaded:
        assert "Seed: 1234567890" in downloaded.text["parameters"]
        assert "trainedAlgorithmicMedia" in downloaded.text["XML:com.adobe.xmp"]


@pytest.mark.django_db
def test_reactions_comments_collections_and_remix_lineage(alice_client, alice, bob):
    upload(alice_client, png({"parameters": A1111}), title="Original fox")
    original = Work.objects.get()
    fan = Client()
    fan.force_login(bob)
    fan.post(f"/gallery/{original.id}/react/", {"kind": "like"})
    fan.post(f"/gallery/{original.id}/react/", {"kind": "wow"})
    fan.post(f"/gallery/{original.id}/comment/", {"raw": "Love the **colors**"})
    fan.post(f"/gallery/{original.id}/collect/", {"title": "Foxes"})
    upload(fan, png(), title="Fox remix", remix_of=str(original.id))
    original.refresh_from_db()
    assert original.reaction_count == 2
    remix = Work.objects.get(title="Fox remix")
    assert remix.remix_of == original
    page = fan.get(original.get_absolute_url()).content.decode()
    assert "<strong>colors</strong>" in page and "Fox remix" in page
    fan.post(f"/gallery/{original.id}/react/", {"kind": "like"})  # toggles off
    original.refresh_from_db()
    assert original.reaction_count == 1
    assert bob.collections.get(title="Foxes").works.get() == original


@pytest.mark.django_db
def test_share_to_forum_prefills_a_topic_with_the_recipe_card(alice_client, alice):
    upload(alice_client, png({"parameters": A1111}), title="Misty fox")
    work = Work.objects.get()
    response = alice_client.post(f"/gallery/{work.id}/share/")
    assert response["Location"].startswith("/new-topic/")
    draft = Draft.objects.get(user=alice, key="new-topic")
    assert (
        draft.title == "Misty fox"
        and "| Seed | 1234567890 |" in draft.raw
        and work.image.url in draft.raw
    )


@pytest.mark.django_db
def test_grid_filters_and_infinite_scroll(alice_client, alice):
    for i in range(26):
        upload(
            alice_client,
            png({"parameters": A1111} if i % 2 else None),
            title=f"Work {i:02d}",
            tags="fox" if i == 3 else "",
        )
    first = alice_client.get("/gallery/")
    assert "Work 25" in first.content.decode() and "Work 01" not in first.content.decode()
    more = alice_client.get(
        f"/gallery/?cursor={first.context['next_cursor']}", HTTP_HX_REQUEST="true"
    )
    assert "Work 01" in more.content.decode() and "<html" not in more.content.decode()
    assert "Work 03" in alice_client.get("/gallery/?tag=fox").content.decode()
    only_model = alice_client.get("/gallery/?model=v1-5-pruned-emaonly").content.decode()
    assert "Work 01" in only_model and "Work 02" not in only_model


@pytest.mark.django_db
def test_grid_filters_by_data_set_and_author_and_keeps_them_while_scrolling(
    alice_client, alice, bob, client, django_assert_max_num_queries
):
    for i in range(27):
        upload(alice_client, png(), title=f"Moons {i:02d}")
    Work.objects.filter(title__startswith="Moons").update(dataset="two moons & co")
    client.force_login(bob)
    upload(client, png(), title="Bob's digit")
    Work.objects.filter(title="Bob's digit").update(dataset="digits", model_name="Digits DDPM")

    with django_assert_max_num_queries(8):
        first = alice_client.get("/gallery/", {"dataset": "two moons & co"})
    page = first.content.decode()
    assert "Moons 26" in page and "Bob&#x27;s digit" not in page and "Moons 02" not in page
    assert 'value="two moons &amp; co"' in page  # the filter form shows what is applied
    more_url = f"/gallery/?cursor={first.context['next_cursor']}&dataset=two+moons+%26+co"
    trigger = more_url.removeprefix("/gallery/")
    assert f'hx-get="{trigger}"' in page  # the scroll trigger keeps the filter
    more = alice_client.get(more_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Moons 02" in more and "Bob&#x27;s digit" not in more and "<html" not in more

    by_bob = alice_client.get("/gallery/", {"author": "bob"}).content.decode()
    assert "Bob&#x27;s digit" in by_bob and "Moons 26" not in by_bob
    both = alice_client.get("/gallery/", {"author": "bob", "dataset": "two moons & co"})
    assert "No works yet." in both.content.decode()
    work = Work.objects.get(title="Bob's digit")
    assert "?dataset=digits" in alice_client.get(work.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_share_to_forum_keeps_the_draft_the_member_was_writing(alice_client, alice):
    from agora.forum.models import Category

    Category.objects.create(slug="image-generation", name="Image generation")
    Draft.objects.create(user=alice, key="new-topic", title="My half-written essay", raw="Dear all")
    upload(alice_client, png({"parameters": A1111}), title="Misty fox")
    work = Work.objects.get()
    response = alice_client.post(f"/gallery/{work.id}/share/")
    assert response["Location"].startswith("/new-topic/")
    draft = Draft.objects.get(user=alice, key="new-topic")
    assert draft.title == "My half-written essay"
    assert draft.raw.startswith("Dear all\n\n") and "| Seed | 1234567890 |" in draft.raw
    page = alice_client.get(response["Location"]).content.decode()
    assert "Dear all" in page and "1234567890" in page


@pytest.mark.django_db
def test_share_to_forum_refuses_private_works_and_a_draft_too_long_to_add_to(
    alice_client, alice, bob
):
    from agora.forum.models import BODY_MAX

    upload(alice_client, png({"parameters": A1111}), title="Misty fox")
    work = Work.objects.get()
    Draft.objects.create(user=alice, key="new-topic", raw="x" * (BODY_MAX - 10))
    response = alice_client.post(f"/gallery/{work.id}/share/", follow=True)
    assert "too long to add this" in response.content.decode()
    assert Draft.objects.get(user=alice, key="new-topic").raw == "x" * (BODY_MAX - 10)
    Work.objects.filter(pk=work.pk).update(private=True)
    stranger = Client()
    stranger.force_login(bob)
    assert stranger.post(f"/gallery/{work.id}/share/").status_code == 404
    assert alice_client.post(f"/gallery/{work.id}/share/").status_code == 403
