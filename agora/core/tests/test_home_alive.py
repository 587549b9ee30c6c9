"""The home page shows what is alive: works as images, models with their sample grids, the lab's
latest finished runs, upcoming events and the latest topics, for the same queries whatever is
in them."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from agora.events.models import Event
from agora.gallery import services as gallery
from agora.lab.models import LabModel, TrainingRun


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def work(author, title, *, private=False):
    data = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 90, 160)).save(data, format="PNG")
    return gallery.upload_work(
        author=author,
        upload=SimpleUploadedFile("w.png", data.getvalue()),
        title=title,
        private=private,
    )[0]


def lab_model(owner, name, *, private=False):
    run = TrainingRun.objects.create(
        owner=owner,
        title=f"{name} run",
        family="diffusion",
        dataset="digits",
        steps=10,
        total_steps=10,
        step=10,
        private=private,
        status=TrainingRun.Status.COMPLETED,
        finished_at=timezone.now(),
        samples=[
            {"step": 5, "url": f"/media/lab/runs/{name}/5.png"},
            {"step": 10, "url": f"/media/lab/runs/{name}/10.png"},
        ],
    )
    return LabModel.objects.create(
        run=run, owner=owner, name=name, private=private, checkpoint="lab/models/x.safetensors"
    )


def event(organizer, title):
    start = timezone.now() + timedelta(days=3)
    return Event.objects.create(
        title=title,
        description="Come along",
        description_html="<p>Come along</p>",
        organizer=organizer,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        timezone="UTC",
    )


@pytest.fixture
def alive(alice, bob, staff):
    work(alice, "Glowing fox")
    work(bob, "Paper cranes")
    work(alice, "Alice's secret", private=True)
    lab_model(alice, "Digits DDPM")
    lab_model(bob, "Bob's hidden VAE", private=True)
    event(staff, "Diffusion reading group")


@pytest.mark.django_db
def test_home_shows_works_models_runs_and_events_to_a_visitor(client, alive):
    page = client.get("/").content.decode()
    for shown in (
        "Glowing fox",
        "Paper cranes",
        "Digits DDPM",
        "/media/lab/runs/Digits DDPM/10.png",  # the latest sample grid, not the first
        "Digits DDPM run",
        "Diffusion reading group",
    ):
        assert shown in page, shown
    assert "/media/lab/runs/Digits DDPM/5.png" not in page
    assert "Alice&#x27;s secret" not in page and "Bob&#x27;s hidden VAE" not in page
    # works as images, small and lazy
    assert 'alt="Glowing fox" loading="lazy"' in page


@pytest.mark.django_db
def test_home_shows_members_their_own_private_things_only(client, alive, alice, bob):
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "Alice&#x27;s secret" in page and "Bob&#x27;s hidden VAE" not in page
    client.force_login(bob)
    page = client.get("/").content.decode()
    assert "Alice&#x27;s secret" not in page and "Bob&#x27;s hidden VAE" in page


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "queries"), [(None, 10), ("alice", 15), ("staff", 14)])
def test_home_costs_the_same_queries_however_much_is_alive(
    client, alice, bob, staff, persona, queries, django_assert_num_queries, request
):
    if persona:
        client.force_login(request.getfixturevalue(persona))
    client.get("/")
    with django_assert_num_queries(queries):
        client.get("/")
    for i in range(12):
        work(bob, f"Work {i}")
        lab_model(bob, f"Model {i}")
        event(staff, f"Event {i}")
    with django_assert_num_queries(queries):
        client.get("/")
