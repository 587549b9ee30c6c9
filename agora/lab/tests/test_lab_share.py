"""Sharing a finished run to the forum: the composer opens with its latest samples and a card of
its settings and metrics, as a new topic or as a reply."""

import pytest

from agora.forum.models import Category, Draft
from agora.forum.services import create_topic
from agora.lab.models import TrainingRun
from agora.lab.services import runs


@pytest.fixture(autouse=True)
def lab_dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LAB_RUNS_DIR = tmp_path / "runs"


def _finished_run(owner, capture, *, private=False) -> TrainingRun:
    with capture(execute=True):
        run = runs.create_run(
            owner=owner,
            title="Tiny moons | v1",
            family="diffusion",
            dataset="moons",
            preset="quick",
            steps=50,
            private=private,
        )
    run.refresh_from_db()
    assert run.status == "completed" and run.samples
    return run


@pytest.mark.django_db
def test_any_member_starts_a_topic_from_a_public_run(
    bob, alice, client, django_capture_on_commit_callbacks
):
    run = _finished_run(alice, django_capture_on_commit_callbacks)
    Category.objects.create(slug="image-generation", name="Image generation")
    client.force_login(bob)
    assert "Share to forum" in client.get(run.get_absolute_url()).content.decode()

    response = client.post(f"/lab/runs/{run.id}/share/", {"topic": ""})
    assert response["Location"].startswith("/new-topic/")
    draft = Draft.objects.get(user=bob, key="new-topic")
    latest = max(run.samples, key=lambda s: s["step"])
    assert draft.title == "Tiny moons | v1"
    assert f"]({latest['url']})" in draft.raw and run.get_absolute_url() in draft.raw
    assert "| Family | Diffusion (DDPM) |" in draft.raw and "| Data set | moons |" in draft.raw
    assert "| Steps | 50 |" in draft.raw and "Tiny moons \\| v1" in draft.raw
    for name in run.metrics:
        assert f"| {name} |" in draft.raw

    composer = client.get(response["Location"]).content.decode()
    assert latest["url"] in composer


@pytest.mark.django_db
def test_reply_with_a_run_by_topic_address(alice, bob, client, django_capture_on_commit_callbacks):
    run = _finished_run(alice, django_capture_on_commit_callbacks)
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    topic = create_topic(author=bob, category=lounge, title="Show your moons", raw="Post them!")
    client.force_login(bob)

    response = client.post(
        f"/lab/runs/{run.id}/share/", {"topic": f"http://testserver{topic.get_absolute_url()}"}
    )
    assert response["Location"] == topic.get_absolute_url() + "#reply"
    draft = Draft.objects.get(user=bob, key=f"reply-{topic.id}")
    assert "| Data set | moons |" in draft.raw
    page = client.get(topic.get_absolute_url()).content.decode()
    assert "| Data set | moons |" in page  # the reply box holds the card, ready to post


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("topic", "message"),
    [("the big thread", "number or paste its address"), ("999999", "no such topic")],
)
def test_a_bad_topic_is_refused_and_no_draft_kept(
    alice_client, alice, django_capture_on_commit_callbacks, topic, message
):
    run = _finished_run(alice, django_capture_on_commit_callbacks)
    response = alice_client.post(f"/lab/runs/{run.id}/share/", {"topic": topic}, follow=True)
    assert message in response.content.decode()
    assert not Draft.objects.exists()


@pytest.mark.django_db
def test_private_and_unfinished_runs_are_not_shared(
    alice_client, alice, bob, client, django_capture_on_commit_callbacks
):
    private = _finished_run(alice, django_capture_on_commit_callbacks, private=True)
    page = alice_client.get(private.get_absolute_url()).content.decode()
    assert "Share to forum" not in page
    response = alice_client.post(f"/lab/runs/{private.id}/share/", follow=True)
    assert "Make the run public before sharing it." in response.content.decode()
    client.force_login(bob)
    assert client.post(f"/lab/runs/{private.id}/share/").status_code == 404

    queued = runs.create_run(
        owner=alice, title="later", family="gan", dataset="moons", preset="quick", steps=30
    )
    response = alice_client.post(f"/lab/runs/{queued.id}/share/", follow=True)
    assert "Only a completed run can be shared." in response.content.decode()
    assert not Draft.objects.exists()


@pytest.mark.django_db
def test_sharing_a_run_keeps_the_reply_the_member_was_writing(bob, alice, client):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    topic = create_topic(author=alice, category=lounge, title="Post your moons runs", raw="Go!")
    run = TrainingRun.objects.create(
        owner=alice,
        title="Moons",
        family="diffusion",
        dataset="moons",
        steps=10,
        status=TrainingRun.Status.COMPLETED,
        samples=[{"step": 10, "url": "/media/s.png"}],
    )
    Draft.objects.create(user=bob, key=f"reply-{topic.id}", raw="My own run did better")
    client.force_login(bob)
    response = client.post(f"/lab/runs/{run.id}/share/", {"topic": str(topic.id)})
    assert response["Location"] == topic.get_absolute_url() + "#reply"
    draft = Draft.objects.get(user=bob, key=f"reply-{topic.id}")
    assert draft.raw.startswith("My own run did better\n\n") and "/media/s.png" in draft.raw
