"""The main pages a member visits, built on the persona world, for the page-width, accessibility
and HTML-validity checks."""

from __future__ import annotations

from django.urls import reverse

from agora.core.tests import world

# A long display name: the header must truncate it instead of pushing the page wider.
LONG_NAME = "Alexandrina Konstantinopoulou-Wetherspoon"


def build_main_pages(*, alice, bob, charlie, staff) -> dict[str, str]:
    """name -> path of every main page, all visible to a visitor (alice's model made public)."""
    from agora.forum.models import Category
    from agora.gallery.models import Work
    from agora.lab.models import LabModel, TrainingRun

    site = world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)
    alice.display_name = LONG_NAME
    alice.save(update_fields=["display_name"])
    model = LabModel.objects.get(pk=site["lab:model"]["model_id"])
    LabModel.objects.filter(pk=model.pk).update(private=False)
    model.run.__class__.objects.filter(pk=model.run_id).update(private=False)
    text_model, fine_tune, poem = _lab_text_and_tree(alice=alice, bob=bob, base=model)
    public_work = Work.objects.get(title="Public sunset")
    from agora.learn.lessons import seed_lessons
    from agora.learn.models import Article

    seed_lessons(author=staff)
    _gan_lesson_trained()
    lesson = Article.objects.get(series__title="Generative models, hands-on", series_part=1)
    gpt_lesson = Article.objects.get(series__title="Generative models, hands-on", series_part=5)
    lounge = Category.objects.get(slug="lounge")
    # a run waiting for the worker behind another: its page says where it stands in the queue
    queued = [
        TrainingRun.objects.create(
            owner=owner,
            title=title,
            family="diffusion",
            dataset="moons",
            steps=300,
            total_steps=300,
        )
        for owner, title in ((bob, "Moons, waiting"), (alice, "Swiss roll, waiting in line"))
    ][-1]
    return {
        "home": reverse("home"),
        "latest": reverse("forum:latest"),
        "categories": reverse("forum:categories"),
        "category": reverse("forum:category", kwargs={"slug": lounge.slug}),
        "topic": reverse("forum:topic", kwargs=site["forum:topic"]),
        "gallery": reverse("gallery:grid"),
        "work": reverse("gallery:work", kwargs={"work_id": public_work.id}),
        "lab": reverse("lab:index"),
        "model": reverse("lab:model", kwargs=site["lab:model"]),
        "run": model.run.get_absolute_url(),
        "queued_run": queued.get_absolute_url(),
        "fine_tune": fine_tune.get_absolute_url(),
        "text_model": text_model.get_absolute_url(),
        "text_generation": poem.get_absolute_url(),
        "learn": reverse("learn:index"),
        "article": reverse("learn:article", kwargs=site["learn:article"]),
        "lesson": lesson.get_absolute_url(),
        "lesson_gpt": gpt_lesson.get_absolute_url(),
        "widget": reverse("learn:widget", kwargs={"kind": "gan-game"}),
        "events": reverse("events:list"),
        "event": reverse("events:detail", kwargs=site["events:detail"]),
        "search": reverse("search:search") + "?q=sampler",
        "profile": reverse("profile", kwargs={"username": alice.username}),
        "members": reverse("members"),
        "guidelines": reverse("pages:page", kwargs={"slug": "guidelines"}),
        "challenges": reverse("challenges:index"),
        "challenge": reverse("challenges:challenge", kwargs=site["challenges:challenge"]),
        "contests": reverse("challenges:contests"),
        "contest": reverse("challenges:contest", kwargs=site["challenges:contest"]),
    }


def _gan_lesson_trained() -> None:
    """The GAN lesson's own training as the worker leaves it after the demo seed (drawn here in
    50 steps: the page is under test, not the training), so its page reads a cached figure."""
    from agora.learn import widgets
    from agora.learn.models import WidgetResult
    from agora.learn.widgets.live import gan_game

    state = widgets.get("gan-game").defaults()
    drawn = gan_game(state | {"steps": 50}, lambda *args: None)
    WidgetResult.objects.update_or_create(
        key=widgets.state_key("gan-game", state),
        defaults={
            "kind": "gan-game",
            "state": state,
            "status": "done",
            "png": drawn.png,
            "data": drawn.data,
        },
    )


def _lab_text_and_tree(*, alice, bob, base):
    """A public text model with a poem it wrote, and bob's fine-tune of alice's model (the
    model tree on both pages). No weights are read to draw these pages."""
    from agora.lab.models import Generation, LabModel, TrainingRun

    def published(owner, name, family, dataset, **extra):
        run = TrainingRun.objects.create(
            owner=owner,
            title=name,
            family=family,
            dataset=dataset,
            steps=10,
            status=TrainingRun.Status.COMPLETED,
            base_model=extra.get("base"),
            base_sha256=extra["base"].checkpoint_sha256 if extra.get("base") else "",
        )
        return LabModel.objects.create(
            run=run,
            owner=owner,
            name=name,
            checkpoint="lab/models/x.safetensors",
            checkpoint_sha256="1" * 64,
            **extra,
        )

    poet = published(
        alice,
        "Tang poet",
        "gpt",
        "tang",
        official=True,
        data_kind="text",
        text_spec={"tokenizer": "char", "forms": {"wuyan-jueju": 40}, "block_size": 72},
    )
    poem = Generation.objects.create(
        model=poet,
        owner=alice,
        recipe={
            "kind": "text",
            "prompt": "",
            "form": "wuyan-jueju",
            "acrostic": "春江花月",
            "temperature": 0.8,
            "top_k": 0,
            "top_p": 1.0,
            "seed": 7,
            "length": 200,
            "count": 1,
        },
        recipe_hash="2" * 64,
        status=Generation.Status.DONE,
        texts=["春风吹落花，江水向东流。花开又一年，月照故人楼。"],
        images_sha256="3" * 64,
    )
    fine_tune = published(
        bob, "Bob's digits", base.run.family, "digits", base=base, lineage=[base.id]
    )
    return poet, fine_tune, poem
