"""A small world for the API tests: alice owns things, bob is a member with access to the
private category and the private message, charlie is a stranger, plus staff and anonymous."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from agora.api import tokens
from agora.api.models import ApiToken, WebhookEndpoint
from agora.events.models import Event
from agora.forum import services as forum_services
from agora.forum.models import Access, Category, CategoryGroupAccess
from agora.gallery.models import Collection, Work
from agora.lab.models import Generation, LabDataset, LabModel, TrainingRun
from agora.learn import services as learn_services
from agora.learn.models import Resource
from agora.moderation import services as moderation_services
from agora.notifications.models import Notification
from agora.showcase.models import Launch, PartnerRequest
from genlab.recipe import Recipe

PERSONAS = ("owner", "member", "stranger", "anonymous", "staff")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast personas
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _work(author, title: str, *, private: bool = False) -> Work:
    work = Work(
        author=author,
        title=title,
        width=8,
        height=8,
        private=private,
        prompt="a cat",
        seed=7,
        steps=20,
        model_name="Moons",
    )
    work.image.save("w.webp", ContentFile(b"RIFF"), save=False)
    work.thumbnail.save("t.webp", ContentFile(b"RIFF"), save=False)
    work.save()
    return work


def _run(owner, *, private: bool, status: str = "completed") -> TrainingRun:
    return TrainingRun.objects.create(
        owner=owner,
        title="Moons",
        family="diffusion",
        dataset="moons",
        steps=20,
        total_steps=20,
        step=20,
        private=private,
        status=status,
        settings={"family": "diffusion"},
    )


def _model(owner, *, private: bool) -> LabModel:
    model = LabModel(
        run=_run(owner, private=private),
        owner=owner,
        name="Moons DDPM",
        private=private,
        checkpoint_sha256="0" * 64,
    )
    model.checkpoint.save("m.safetensors", ContentFile(b"x"), save=False)
    model.save()
    return model


@pytest.fixture
def world(alice, bob, charlie, staff) -> SimpleNamespace:
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    secret = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    alice.groups.add(insiders)
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=secret, group=insiders, access=Access.CREATE)
    qa = Category.objects.create(slug="qa", name="Q&A", is_question_answer=True)
    question = forum_services.create_topic(
        author=alice, category=qa, title="Why does DDIM work?", raw="Asking for a friend."
    )
    topic = forum_services.create_topic(
        author=alice, category=lounge, title="Sampling schedules", raw="Which one do you use?"
    )
    reply = forum_services.create_post(author=bob, topic=topic, raw="Cosine, always.")
    secret_topic = forum_services.create_topic(
        author=alice, category=secret, title="Insider plans", raw="Not for everyone."
    )
    pm = forum_services.create_private_topic(
        author=alice, recipients=[bob], title="Between us", raw="A private word."
    )
    public_model = _model(alice, private=False)
    private_model = _model(alice, private=True)
    recipe = Recipe(checkpoint_sha256="0" * 64, sampler="ddim", steps=5, seed=1, count=1)
    now = timezone.now()
    event = Event.objects.create(
        title="Diffusion night",
        description="Talks",
        description_html="<p>Talks</p>",
        organizer=staff,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=2),
        timezone="UTC",
    )
    launch = Launch.objects.create(
        name="Tiny sampler",
        tagline="Samples fast",
        description="x",
        description_html="<p>x</p>",
        audience="makers",
        website="https://example.com",
        owner=alice,
    )
    partner = PartnerRequest.objects.create(
        title="Looking for a designer",
        role="artist",
        description="x",
        description_html="<p>x</p>",
        skills=["figma"],
        author=alice,
        expires_at=now + timedelta(days=30),
    )
    question_topic = question
    flagged = forum_services.create_post(
        author=charlie, topic=question_topic, raw="Visit my shop for cheap prompts."
    )
    moderation_services.flag_post(user=bob, post=flagged, reason="spam")
    deleted = forum_services.create_post(
        author=charlie, topic=question_topic, raw="Something I regret writing."
    )
    forum_services.delete_post(actor=staff, post=deleted)
    notification, _created = Notification.objects.get_or_create(
        user=alice,
        kind=Notification.Kind.REPLY,
        post=reply,
        defaults={"topic": topic, "actor": bob},
    )
    webhook = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/agora",
        events=["topic.created"],
        secret="whsec_test",
        active=False,  # registered, but sends nothing in the tests that use the world
        created_by=staff,
    )
    work = _work(alice, "Moonrise")
    private_work = _work(alice, "Sketch", private=True)
    collection = Collection.objects.create(owner=alice, title="Moons")
    collection.works.add(work, private_work)
    private_collection = Collection.objects.create(owner=alice, title="Drafts", private=True)
    Category.objects.create(slug="tutorials", name="Tutorials")
    article = learn_services.create_article(
        author=alice,
        title="Noise schedules explained",
        body="## Linear\n\nThe first schedule.\n\n## Cosine\n\nThe second one.",
        difficulty="beginner",
        language="en",
        area="diffusion",
    )
    resource = Resource.objects.create(
        kind="project",
        title="Tiny diffusion",
        url="https://github.com/example/tiny-diffusion",
        added_by=alice,
    )
    from agora.challenges.models import Challenge, Contest

    challenge = Challenge.objects.create(
        creator=staff,
        title="Moons in a minute",
        description="Fit the moons.",
        description_html="<p>Fit the moons.</p>",
        task="density-2d",
        dataset="moons",
        metric="mmd2",
        protocol={"seed": 0, "count": 100, "samplers": ["ddim"], "max_steps": 10},
        cpu_budget_minutes=5,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=3),
    )
    contest = Contest.objects.create(
        creator=staff,
        title="Moons",
        theme="Moonlight",
        opens_at=now - timedelta(days=1),
        entries_close_at=now + timedelta(days=1),
        voting_closes_at=now + timedelta(days=2),
    )
    people = {"owner": alice, "member": bob, "stranger": charlie, "staff": staff}
    raw_tokens = {
        name: tokens.create_token(user=user, name="tests", scopes=["read", "write"])[1]
        for name, user in people.items()
    }
    return SimpleNamespace(
        lounge=lounge,
        secret=secret,
        topic=topic,
        reply=reply,
        secret_topic=secret_topic,
        pm=pm,
        answer=forum_services.create_post(author=bob, topic=question, raw="It is deterministic."),
        work=work,
        private_work=private_work,
        collection=collection,
        private_collection=private_collection,
        public_run=public_model.run,
        private_run=private_model.run,
        queued_run=_run(alice, private=False, status="queued"),
        failed_run=_run(alice, private=False, status="failed"),
        public_model=public_model,
        private_model=private_model,
        generation=Generation.objects.create(
            model=private_model,
            owner=alice,
            recipe=json.loads(recipe.to_json()),
            recipe_hash=recipe.hash,
        ),
        dataset=LabDataset.objects.create(owner=alice, name="faces", status="ready"),
        event=event,
        launch=launch,
        partner=partner,
        flagged=flagged,
        deleted=deleted,
        notification=notification,
        webhook=webhook,
        article=article,
        resource=resource,
        challenge=challenge,
        contest=contest,
        people=people,
        tokens=raw_tokens,
    )


def call(client, world, persona: str, method: str, path: str, body=None, **extra):
    headers = bearer(world.tokens[persona]) if persona != "anonymous" else {}
    kwargs = {**headers, **extra}
    if body is not None:
        kwargs.update(data=body, content_type="application/json")
    return getattr(client, method.lower())(path, **kwargs)


def known_path_values(world) -> dict[str, object]:
    """Real rows for each path parameter of the schema, so a request reaches its operation."""
    return {
        "topic_id": world.topic.id,
        "post_id": world.reply.id,
        "slug": "lounge",
        "username": "bob",
        "work_id": world.work.id,
        "run_id": world.queued_run.id,
        "model_id": world.public_model.id,
        "generation_id": world.generation.id,
        "event_id": world.event.id,
        "launch_id": world.launch.id,
        "request_id": world.partner.id,
        "token_id": ApiToken.objects.filter(user=world.people["owner"]).first().id,
        "notification_id": world.notification.id,
        "endpoint_id": world.webhook.id,
        "key": f"reply-{world.topic.id}",
        "resource_id": world.resource.id,
        "collection_id": world.collection.id,
        "challenge_id": world.challenge.id,
        "contest_id": world.contest.id,
    }
