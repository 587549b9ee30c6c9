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
    from agora.lab.models import LabModel

    site = world.build(alice=alice, bob=bob, charlie=charlie, staff=staff)
    alice.display_name = LONG_NAME
    alice.save(update_fields=["display_name"])
    model = LabModel.objects.get(pk=site["lab:model"]["model_id"])
    LabModel.objects.filter(pk=model.pk).update(private=False)
    model.run.__class__.objects.filter(pk=model.run_id).update(private=False)
    public_work = Work.objects.get(title="Public sunset")
    from agora.learn.lessons import seed_lessons
    from agora.learn.models import Article

    seed_lessons(author=staff)
    lesson = Article.objects.get(series__title="Generative models, hands-on", series_part=3)
    lounge = Category.objects.get(slug="lounge")
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
        "learn": reverse("learn:index"),
        "article": reverse("learn:article", kwargs=site["learn:article"]),
        "lesson": lesson.get_absolute_url(),
        "widget": reverse("learn:widget", kwargs={"kind": "gan-game"}),
        "events": reverse("events:list"),
        "event": reverse("events:detail", kwargs=site["events:detail"]),
        "search": reverse("search:search") + "?q=sampler",
        "profile": reverse("profile", kwargs={"username": alice.username}),
        "members": reverse("members"),
        "guidelines": reverse("pages:page", kwargs={"slug": "guidelines"}),
    }
