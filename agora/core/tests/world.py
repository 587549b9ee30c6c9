"""A small site where alice owns one of everything (much of it private), bob is her correspondent
and an insider of a private category, charlie is a stranger, and staff moderates. `kwargs` maps
each URL name to the object it is asked about."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from PIL import Image

# Routes under these prefixes belong to third parties (allauth, Django admin) or have their own
# persona matrix (the JSON API).
FOREIGN_PREFIXES = ("admin/", "accounts/", "api/")


def url_patterns() -> list[tuple[str, str]]:
    """(name, route) of every Agora URL pattern."""

    def walk(patterns, prefix="", ns=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                inner = f"{ns}{p.namespace}:" if p.namespace else ns
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield (ns + p.name) if p.name else prefix + str(p.pattern), prefix + str(p.pattern)

    return [
        (name, route)
        for name, route in walk(get_resolver().url_patterns)
        if not route.startswith(FOREIGN_PREFIXES)
    ]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def build(*, alice, bob, charlie, staff) -> dict[str, dict]:
    from django.contrib.auth.models import Group

    from agora.events.models import CalendarToken
    from agora.events.services import create_event
    from agora.forum.models import Access, Category, CategoryGroupAccess
    from agora.forum.services import create_post, create_private_topic, create_topic
    from agora.gallery.models import Collection
    from agora.gallery.services import upload_work
    from agora.lab.models import Generation, LabDataset, LabModel, TrainingRun
    from agora.learn.resources import add_resource
    from agora.learn.services import create_article
    from agora.notifications.models import Notification
    from agora.showcase.services import create_launch, create_partner_request

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    Category.objects.create(slug="events", name="Events")
    Category.objects.create(slug="tutorials", name="Tutorials")
    secret = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=secret, group=insiders, access=Access.CREATE)

    from agora.forum.services import upload_image, upload_markdown

    def image(user):
        return upload_image(user=user, upload=SimpleUploadedFile("i.png", _png()))

    public_upload, secret_upload, pm_upload, draft_upload = (
        image(alice),
        image(bob),
        image(alice),
        image(alice),
    )
    topic = create_topic(
        author=alice,
        category=lounge,
        title="Samplers compared at twenty steps",
        raw="Which sampler is sharpest? Let us compare them.\n\n"
        + upload_markdown(public_upload, "grid.png"),
        tags=["samplers"],
    )
    reply = create_post(author=bob, topic=topic, raw="Euler a, every time, in my experience.")
    hidden = create_topic(
        author=bob,
        category=secret,
        title="Insiders only: the roadmap",
        raw="Nothing here for outsiders, really nothing.\n\n"
        + upload_markdown(secret_upload, "roadmap.png"),
    )
    pm = create_private_topic(
        author=alice,
        recipients=[bob],
        title="A private word with Bob",
        raw="Only the two of us should read this message.\n\n"
        + upload_markdown(pm_upload, "note.png"),
    )
    notification = Notification.objects.create(
        user=alice,
        kind=Notification.Kind.PRIVATE_MESSAGE,
        actor=bob,
        topic=pm,
        post=pm.posts.first(),
    )
    now = timezone.now()
    event = create_event(
        organizer=alice,
        title="Diffusion reading group",
        kind="meetup",
        description="We read a paper.",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=2, hours=1),
        tz="UTC",
        online_url="https://example.com/m",
    )
    calendar = CalendarToken.objects.create(user=alice)
    from agora.notifications.services import unsubscribe_url

    unsubscribe_token = unsubscribe_url(member=bob, kind="reply").rstrip("/").rsplit("/", 1)[1]
    article = create_article(
        author=alice,
        title="Getting started with LoRA",
        body="# LoRA\n\nSmall adapters.",
        difficulty="beginner",
        language="en",
        area="tooling",
    )
    resource = add_resource(
        user=alice, kind="project", title="A sampler library", url="https://example.com/lib"
    )
    launch = create_launch(
        owner=alice,
        name="Promptly",
        tagline="Prompts that work",
        description="It helps.",
        audience="Artists",
        website="https://example.com/promptly",
    )
    partner = create_partner_request(
        author=alice,
        title="Looking for a designer",
        role=_role(),
        description="Let us build it.",
        skills="design",
        location="",
        remote=True,
        days=30,
    )
    work, _ = upload_work(
        author=alice,
        upload=SimpleUploadedFile("w.png", _png()),
        title="Private sunset",
        private=True,
    )
    collection = Collection.objects.create(owner=alice, title="Mine", private=True)
    collection.works.add(work)
    run = TrainingRun.objects.create(
        owner=alice,
        title="My GAN",
        family="gan",
        dataset="mnist",
        steps=10,
        private=True,
        status=TrainingRun.Status.COMPLETED,
    )
    model = LabModel.objects.create(
        run=run,
        owner=alice,
        name="My private model",
        private=True,
        checkpoint="lab/models/x.safetensors",
        checkpoint_sha256="0" * 64,
    )
    generation = Generation.objects.create(
        model=model,
        owner=alice,
        recipe={"seed": 1},
        recipe_hash="0" * 64,
        status=Generation.Status.DONE,
    )
    dataset = LabDataset.objects.create(owner=alice, name="faces", size_bytes=10)
    checkpoint = Path(settings.MEDIA_ROOT) / "lab" / "models" / "x.safetensors"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    checkpoint.write_bytes(b"not really weights")
    challenge, contest, entry = _challenges(alice=alice, staff=staff, work=work)
    media = _media_files(alice=alice, work=work, run=run, generation=generation, dataset=dataset)
    media.update(
        {
            "forum upload in a public topic": public_upload.file.name,
            "forum upload in a private category": secret_upload.file.name,
            "forum upload in a message": pm_upload.file.name,
            "forum upload no post uses yet": draft_upload.file.name,
        }
    )

    return {
        "profile": {"username": alice.username},
        "forum:category": {"slug": lounge.slug},
        "forum:feed_category": {"slug": lounge.slug},
        "forum:feed_category_atom": {"slug": lounge.slug},
        "forum:tag": {"name": "samplers"},
        "forum:feed_tag": {"name": "samplers"},
        "forum:feed_tag_atom": {"name": "samplers"},
        "forum:topic": {"slug": topic.slug, "topic_id": topic.id},
        "forum:topic_post": {"slug": topic.slug, "topic_id": topic.id, "number": 2},
        "forum:reply": {"topic_id": topic.id},
        "forum:topic_notifications": {"topic_id": topic.id},
        "forum:moderate_topic": {"topic_id": topic.id},
        "forum:feed_topic": {"topic_id": topic.id},
        "forum:feed_topic_atom": {"topic_id": topic.id},
        "forum:edit_post": {"post_id": topic.posts.first().id},
        "forum:revisions": {"post_id": topic.posts.first().id},
        "forum:delete_post": {"post_id": topic.posts.first().id},
        "forum:restore_post": {"post_id": topic.posts.first().id},
        "forum:like": {"post_id": reply.id},
        "forum:bookmark": {"post_id": reply.id},
        "forum:accept": {"post_id": reply.id},
        "notifications:open": {"notification_id": notification.id},
        "moderation:flag": {"post_id": reply.id},
        "moderation:resolve": {"post_id": reply.id},
        "events:detail": {"event_id": event.id},
        "events:rsvp": {"event_id": event.id},
        "events:cancel": {"event_id": event.id},
        "events:materials": {"event_id": event.id},
        "events:ics": {"event_id": event.id},
        "events:calendar_feed": {"token": calendar.token},
        "notifications:unsubscribe": {"token": unsubscribe_token},
        "learn:resource": {"resource_id": resource.id},
        "learn:use_resource": {"resource_id": resource.id},
        "learn:article": {"slug": article.slug},
        "learn:edit": {"slug": article.slug},
        "learn:revisions": {"slug": article.slug},
        "learn:done": {"slug": article.slug},
        "learn:widget": {"kind": "schedules"},
        "learn:widget_figure": {"kind": "schedules"},
        "learn:widget_panel": {"kind": "schedules"},
        "learn:widget_frame": {"result_id": 999_999, "number": 0},
        "showcase:launch": {"launch_id": launch.id},
        "showcase:vote": {"launch_id": launch.id},
        "showcase:try": {"launch_id": launch.id},
        "showcase:export_signups": {"launch_id": launch.id},
        "showcase:partner": {"request_id": partner.id},
        "pages:page": {"slug": "guidelines"},
        "pages:edit": {"slug": "guidelines"},
        "following:follow": {"username": alice.username},
        "showcase:close_partner": {"request_id": partner.id},
        "gallery:collection": {"collection_id": collection.id},
        "gallery:work": {"work_id": work.id},
        "gallery:react": {"work_id": work.id},
        "gallery:comment": {"work_id": work.id},
        "gallery:collect": {"work_id": work.id},
        "gallery:nsfw": {"work_id": work.id},
        "gallery:download": {"work_id": work.id},
        "gallery:share": {"work_id": work.id},
        "lab:run": {"run_id": run.id},
        "lab:cancel": {"run_id": run.id},
        "lab:resume": {"run_id": run.id},
        "lab:share_run": {"run_id": run.id},
        "lab:publish": {"run_id": run.id},
        "lab:model": {"model_id": model.id},
        "lab:checkpoint": {"model_id": model.id},
        "lab:star": {"model_id": model.id},
        "lab:generate": {"model_id": model.id},
        "lab:generation": {"generation_id": generation.id},
        "lab:reproduce": {"generation_id": generation.id},
        "lab:share": {"generation_id": generation.id},
        "lab:share_text": {"generation_id": generation.id},
        "challenges:challenge": {"challenge_id": challenge.id},
        "challenges:submit": {"challenge_id": challenge.id},
        "challenges:follow": {"challenge_id": challenge.id},
        "challenges:contest": {"contest_id": contest.id},
        "challenges:enter": {"contest_id": contest.id},
        "challenges:vote": {"entry_id": entry.id},
        "media": {"path": work.image.name},
        "_media": media,
        "_hidden_topic": {"slug": hidden.slug, "topic_id": hidden.id},
        "_pm": {"slug": pm.slug, "topic_id": pm.id},
    }


def _challenges(*, alice, staff, work):
    """An open model challenge (staff's) and a contest in its voting window, where alice's
    entry is the work she has since made private."""
    from datetime import timedelta

    from django.utils import timezone

    from agora.challenges.models import Contest, Entry
    from agora.challenges.services import create_challenge

    now = timezone.now()
    challenge = create_challenge(
        creator=staff,
        title="Moons in a minute",
        description="Fit the moons within the budget.",
        task="density-2d",
        dataset="moons",
        metric="mmd2",
        cpu_budget_minutes=5,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=7),
    )
    contest = Contest.objects.create(
        creator=staff,
        title="Sunsets",
        theme="Sunsets over water",
        opens_at=now - timedelta(days=2),
        entries_close_at=now - timedelta(days=1),
        voting_closes_at=now + timedelta(days=1),
    )
    entry = Entry.objects.create(contest=contest, work=work, entrant=alice)
    return challenge, contest, entry


def _media_files(*, alice, work, run, generation, dataset) -> dict[str, str]:
    """One file of each kind under MEDIA_ROOT, by what a persona should get (see MEDIA_MATRIX)."""
    from agora.gallery.services import upload_work
    from agora.lab.models import Generation, LabDataset, TrainingRun

    root = Path(settings.MEDIA_ROOT)

    def put(relative: str) -> str:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(_png())
        return relative

    public_work, _ = upload_work(
        author=alice, upload=SimpleUploadedFile("p.png", _png()), title="Public sunset"
    )
    sample = put(f"lab/runs/{run.id}/step_000010.png")
    TrainingRun.objects.filter(pk=run.pk).update(samples=[{"step": 10, "url": "/media/" + sample}])
    image = put(f"lab/generations/{generation.id}/0.png")
    Generation.objects.filter(pk=generation.pk).update(
        images=[{"name": "0.png", "url": "/media/" + image}]
    )
    preview = put(f"lab/datasets/preview-{dataset.id}.png")
    LabDataset.objects.filter(pk=dataset.pk).update(preview=preview)
    return {
        "private work image": work.image.name,
        "private work thumbnail": work.thumbnail.name,
        "private work, through another folder": f"avatars/../{work.image.name}",
        "public work image": public_work.image.name,
        "private run sample": sample,
        "private generation image": image,
        "uploaded data set preview": preview,
        "private model checkpoint": "lab/models/x.safetensors",
        "built-in data set preview": put("lab/datasets/preview-builtin-mnist-train.png"),
        "avatar": put(f"avatars/{alice.id}/a.webp"),
        "unknown file among works": put(f"works/{alice.id}/orphan.webp"),
    }


def _role() -> str:
    from agora.showcase.models import PartnerRequest

    return PartnerRequest.Role.values[0]
