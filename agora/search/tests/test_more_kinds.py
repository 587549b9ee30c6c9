"""Works, lab models, articles, resources, events, launches and partner requests, found through
the search page and the header box like posts: in English and Chinese, only by those who may
see them, and gone when deleted. Runs unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from agora.events import services as events
from agora.gallery import services as gallery
from agora.gallery.models import Work
from agora.lab.models import LabModel, TrainingRun
from agora.learn import resources
from agora.learn import services as learn
from agora.learn.models import Article
from agora.search import services
from agora.search.models import SearchDocument
from agora.showcase import services as showcase
from agora.showcase.models import PartnerRequest

SEARCH = reverse("search:search")
QUICK = reverse("search:quick")


def found(client, kind: str, q: str) -> list[str]:
    response = client.get(SEARCH, {"q": q, "kind": kind})
    assert response.status_code == 200
    return [r.card.title for r in response.context["results"]]


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the on-commit indexing the way a request would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_with_prompt(prompt: str) -> SimpleUploadedFile:
    info = PngInfo()
    info.add_text("parameters", f"{prompt}\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a")
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 20, 60)).save(out, format="PNG", pnginfo=info)
    return SimpleUploadedFile("work.png", out.getvalue(), content_type="image/png")


def make_work(author, title: str, prompt: str, **kwargs) -> Work:
    work, _notes = gallery.upload_work(
        author=author, upload=png_with_prompt(prompt), title=title, **kwargs
    )
    return work


def make_model(owner, name: str, card: str, *, private: bool = False) -> LabModel:
    run = TrainingRun.objects.create(
        owner=owner,
        title=name,
        family="diffusion",
        dataset="mnist",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
        private=private,
        samples=[{"step": 10, "url": "/media/lab/runs/1/samples-10.png"}],
    )
    return LabModel.objects.create(
        run=run,
        owner=owner,
        name=name,
        card=card,
        private=private,
        checkpoint="lab/models/x.safetensors",
        checkpoint_sha256="0" * 64,
    )


def make_event(organizer, title: str, description: str, **kwargs):
    start = timezone.now() + timedelta(days=3)
    return events.create_event(
        organizer=organizer,
        title=title,
        kind="lecture",
        description=description,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        tz="Asia/Shanghai",
        **kwargs,
    )


def make_article(author, title: str, body: str) -> Article:
    return learn.create_article(
        author=author, title=title, body=body, difficulty="beginner", language="en", area="image"
    )


def make_partner(author, title: str, description: str, **kwargs) -> PartnerRequest:
    return showcase.create_partner_request(
        author=author,
        title=title,
        role="engineer",
        description=description,
        skills="pytorch",
        location="",
        remote=True,
        days=30,
        **kwargs,
    )


# --- every kind, in both languages ---------------------------------------------------------------


def test_every_kind_is_found_by_its_own_text_in_english_and_chinese(
    client, alice, staff, media, on_commit
):
    with on_commit():
        make_work(alice, "Night city", "cyberpunk skyline, neon rain")
        make_work(alice, "城市之夜", "赛博朋克风格的城市夜景")
        make_model(alice, "Digits DDPM", "Generates handwritten digits with a small UNet.")
        make_model(alice, "数字扩散", "用小型网络生成手写数字。")
        make_article(staff, "Guidance explained", "Classifier-free guidance mixes two predictions.")
        make_article(staff, "扩散模型入门", "本文介绍去噪扩散概率模型的基本原理和训练方法。")
        resources.add_resource(
            user=alice,
            kind="paper",
            title="Denoising Diffusion Probabilistic Models",
            url="",
            arxiv_id="2006.11239",
            paper_authors="Jonathan Ho, Ajay Jain, Pieter Abbeel",
            abstract="We present high quality image synthesis results.",
        )
        resources.add_resource(
            user=alice,
            kind="dataset",
            title="中文诗歌数据集",
            url="https://example.com/poems",
            description="收录唐诗宋词五万首。",
        )
        make_event(
            staff,
            "Sampling seminar",
            "We read the DDIM paper together.",
            speakers="Ada",
            venue="Room 4",
        )
        make_event(staff, "线下交流会", "一起讨论生成模型的评测方法。", venue="上海图书馆")
        showcase.create_launch(
            owner=alice,
            name="PromptForge",
            tagline="Version control for prompts",
            description="Diff and branch your prompts.",
            audience="illustrators",
            website="https://promptforge.example",
        )
        showcase.create_launch(
            owner=alice,
            name="画境",
            tagline="给插画师的提示词管理工具",
            description="提示词的版本管理。",
            audience="插画师",
            website="https://huajing.example",
        )
        make_partner(alice, "Looking for a backend engineer", "Help us scale our render farm.")
        make_partner(alice, "寻找算法工程师", "一起做视频生成的创业项目。")

    assert found(client, "works", "neon skyline") == ["Night city"]
    assert found(client, "works", "赛博朋克") == ["城市之夜"]
    assert found(client, "works", "城市夜景") == ["城市之夜"]
    page = client.get(SEARCH, {"q": "赛博朋克", "kind": "works"}).content.decode()
    assert "<mark>赛博朋克</mark>风格的城市夜景" in page  # jieba cuts it in three: one mark
    assert sorted(found(client, "works", "euler")) == ["Night city", "城市之夜"]
    assert found(client, "models", "handwritten unet") == ["Digits DDPM"]
    assert found(client, "models", "手写数字") == ["数字扩散"]
    assert sorted(found(client, "models", "mnist")) == ["Digits DDPM", "数字扩散"]
    assert found(client, "articles", "predictions") == ["Guidance explained"]
    assert found(client, "articles", "去噪") == ["扩散模型入门"]
    assert found(client, "resources", "Abbeel") == ["Denoising Diffusion Probabilistic Models"]
    assert found(client, "resources", "2006.11239") == ["Denoising Diffusion Probabilistic Models"]
    assert found(client, "resources", "唐诗") == ["中文诗歌数据集"]
    assert found(client, "events", "DDIM Ada") == ["Sampling seminar"]
    assert found(client, "events", "上海") == ["线下交流会"]
    assert sorted(found(client, "events", "讲座")) == ["Sampling seminar", "线下交流会"]
    assert found(client, "launches", "illustrators") == ["PromptForge"]
    assert found(client, "launches", "插画师") == ["画境"]
    assert found(client, "partners", "render farm") == ["Looking for a backend engineer"]
    assert found(client, "partners", "视频生成") == ["寻找算法工程师"]
    # one kind's text never turns up under another kind
    assert found(client, "works", "illustrators") == []


def test_a_hidden_recipe_and_an_online_link_are_never_indexed(
    client, alice, staff, media, on_commit
):
    with on_commit():
        make_work(alice, "Secret sauce", "swordfish glaze prompt", recipe_hidden=True)
        make_event(staff, "Online meetup", "Bring questions.", online_url="https://meet.example/k7")
    assert found(client, "works", "swordfish") == []
    assert found(client, "works", "sauce") == ["Secret sauce"]
    # as a phrase: the words of the link itself (loose words would find the "meetup" title)
    assert found(client, "events", '"meet example k7"') == []
    assert found(client, "events", "online") == ["Online meetup"]


# --- who sees what ------------------------------------------------------------------------------


def test_private_works_and_models_are_found_by_their_owner_only(
    client, alice, bob, staff, media, on_commit
):
    with on_commit():
        make_work(alice, "Hidden lighthouse", "lighthouse at dawn", private=True)
        make_model(alice, "Lighthouse VAE", "trained on lighthouses", private=True)
    for kind in ("works", "models"):
        assert found(client, kind, "lighthouse") == []  # anonymous
    assert "Lighthouse" not in client.get(QUICK, {"q": "lighthouse"}).content.decode()
    client.force_login(bob)
    for kind in ("works", "models"):
        assert found(client, kind, "lighthouse") == []
    client.force_login(staff)  # the gallery's and the lab's lists show staff public ones only
    for kind in ("works", "models"):
        assert found(client, kind, "lighthouse") == []
    client.force_login(alice)
    assert found(client, "works", "lighthouse") == ["Hidden lighthouse"]
    assert found(client, "models", "lighthouse") == ["Lighthouse VAE"]
    page = client.get(SEARCH, {"q": "lighthouse", "kind": "works"}).content.decode()
    assert "Private" in page and "<mark>lighthouse</mark>" in page


def test_privatising_hides_and_deleting_removes(client, alice, bob, media, on_commit):
    with on_commit():
        work = make_work(alice, "Harbour at noon", "harbour boats")
        model = make_model(alice, "Harbour GAN", "boats")
    client.force_login(bob)
    assert found(client, "works", "harbour") == ["Harbour at noon"]
    assert found(client, "models", "harbour") == ["Harbour GAN"]
    with on_commit():
        work.private = True
        work.save()
        LabModel.objects.filter(pk=model.pk).update(private=True)  # no signal: still hidden at once
    assert found(client, "works", "harbour") == []
    assert found(client, "models", "harbour") == []
    assert SearchDocument.objects.get(kind="work", object_id=work.pk).is_private
    with on_commit():
        work.delete()
    assert not SearchDocument.objects.filter(kind="work", object_id=work.pk).exists()
    client.force_login(alice)
    assert found(client, "works", "harbour") == []
    assert found(client, "models", "harbour") == ["Harbour GAN"]


def test_edits_are_reindexed_and_deleted_articles_disappear(client, staff, on_commit):
    with on_commit():
        article = make_article(staff, "Tiled upscaling", "Split the image into tiles.")
    with on_commit():
        learn.edit_article(
            editor=staff,
            article=article,
            title="Tiled upscaling",
            summary="",
            body="Split the picture into overlapping patches.",
        )
    assert found(client, "articles", "patches") == ["Tiled upscaling"]
    assert found(client, "articles", "tiles") == []
    with on_commit():
        Article.objects.filter(pk=article.pk).delete()
    assert found(client, "articles", "patches") == []
    assert not SearchDocument.objects.filter(kind="article").exists()


def test_expired_partner_requests_are_found_only_by_their_author_and_staff(
    client, alice, bob, staff, on_commit
):
    with on_commit():
        live = make_partner(alice, "Seeking a colourist", "Open now for a comic.")
        old = make_partner(alice, "Seeking a colourist too", "Closed for a comic.")
    PartnerRequest.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(bob)
    assert found(client, "partners", "colourist") == [live.title]
    client.logout()
    assert found(client, "partners", "colourist") == [live.title]
    for member in (alice, staff):
        client.force_login(member)
        assert sorted(found(client, "partners", "colourist")) == sorted([live.title, old.title])
    assert "Expired" in client.get(SEARCH, {"q": "colourist", "kind": "partners"}).content.decode()


# --- the page and the header box ----------------------------------------------------------------


def test_the_page_offers_every_kind_and_the_box_groups_them(client, alice, staff, media, on_commit):
    with on_commit():
        make_work(alice, "Quasar study", "a quasar")
        make_model(alice, "Quasar net", "quasar")
        make_article(staff, "Quasar article", "all about quasar light and its history")
        make_event(staff, "Quasar evening", "quasar talk", venue="Hall 1")
        showcase.create_launch(
            owner=alice,
            name="Quasarly",
            tagline="Quasar charts for all",
            description="charts",
            audience="astronomers",
            website="https://quasarly.example",
        )
    page = client.get(SEARCH, {"q": "quasar", "kind": "works"})
    body = page.content.decode()
    for choice in (
        "posts",
        "members",
        "tags",
        "works",
        "models",
        "articles",
        "resources",
        "events",
        "launches",
        "partners",
    ):
        assert f"kind={choice}" in body
    assert 'aria-current="page">Works <span class="badge tab-count">1</span><' in body
    assert "<mark>Quasar</mark> study" in body and "<img" in body  # the work's thumbnail
    assert 'class="badge search-kind">Work<' in body
    quick = client.get(QUICK, {"q": "quasar"})
    groups = [(g.kind.name, [r.title for r in g.results]) for g in quick.context["groups"]]
    assert [name for name, _titles in groups] == ["work", "model", "article", "event", "launch"]
    html = quick.content.decode()
    assert html.index("Works") < html.index("Models") < html.index("Events")
    assert "<mark>Quasar</mark> evening" in html


def test_snippets_escape_stored_text(client, alice, on_commit):
    with on_commit():
        make_partner(alice, "Escaping check", "<script>alert(1)</script> gizmo")
    body = client.get(SEARCH, {"q": "gizmo", "kind": "partners"}).content.decode()
    assert "<script>alert(1)" not in body and "<mark>gizmo</mark>" in body


def test_a_results_page_costs_the_same_whatever_it_finds(
    client, alice, bob, media, on_commit, django_assert_max_num_queries
):
    client.force_login(bob)
    with on_commit():
        make_work(alice, "Lone", "solitary comet")
        make_model(alice, "Lone net", "solitary comet")
        for i in range(8):
            make_work(alice, f"Many {i}", "crowded comet")
            make_model(alice, f"Crowd {i}", "crowded comet")
    client.get(SEARCH)  # the first request of a session does some one-off work
    for kind in ("works", "models"):
        # the page, and one capped count per tab
        with django_assert_max_num_queries(24) as one:
            client.get(SEARCH, {"q": "solitary", "kind": kind})
        with django_assert_max_num_queries(24) as many:
            assert len(client.get(SEARCH, {"q": "crowded", "kind": kind}).context["results"]) == 8
        assert len(many.captured_queries) == len(one.captured_queries)
    # the quick search asks every registered kind (challenges, contests and texts joined them;
    # SQLite's full-text search needs two more than PostgreSQL)
    with django_assert_max_num_queries(37) as one:
        client.get(QUICK, {"q": "solitary"})
    with django_assert_max_num_queries(37) as many:
        client.get(QUICK, {"q": "crowded"})
    assert len(many.captured_queries) == len(one.captured_queries)


def test_rebuild_covers_every_kind(alice, staff, media):
    make_work(alice, "Rebuilt work", "prompt")
    make_event(staff, "Rebuilt event", "text", venue="Room 2")
    SearchDocument.objects.all().delete()
    counts = services.rebuild()
    assert counts["work"] == 1 and counts["event"] == 1
    assert set(counts) >= {"work", "model", "article", "resource", "event", "launch", "partner"}
