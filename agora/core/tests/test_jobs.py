"""The database row is the job (agora/core/jobs.py): a write that owes a side effect stores it in
its own transaction; a worker claims it with a lease; the sweep wakes what a dead worker or a
lost broker message left behind, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agora.celery import app as celery_app
from agora.core import jobs
from agora.core.models import Job, OutboundEmail
from agora.core.services import sweep_emails
from agora.forum.models import Category
from agora.forum.services import create_post, create_topic
from agora.notifications.models import Notification
from agora.notifications.tasks import notify_post_created

LATER = timedelta(minutes=10)  # past every wake-after and lease window


@pytest.fixture
def topic(alice):
    lounge = Category.objects.create(slug="lounge", name="Lounge")
    return create_topic(author=alice, category=lounge, title="Jobs in rows", raw="Who replies?")


@pytest.fixture
def dead_broker(settings):
    """Workers are not eager and the broker refuses every connection, as when Redis is down."""
    from kombu import pools

    def use(url: str) -> None:
        pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
        celery_app.conf.broker_url = url

    previous = celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    use("redis://127.0.0.1:1/0")
    yield
    use(previous)
    celery_app.conf.task_always_eager = True


def _replies_notified(alice) -> int:
    return Notification.objects.filter(user=alice, kind="reply").count()


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_wake_was_lost_still_notifies_once_through_the_sweep(
    alice, bob, topic, dead_broker
):
    create_post(author=bob, topic=topic, raw="A reply while the broker is down.")
    owed = Job.objects.get(task=notify_post_created.name)  # the reply committed, the job too
    assert _replies_notified(alice) == 0

    celery_app.conf.task_always_eager = True  # the broker is back
    assert jobs.sweep() == []  # a fresh job may still be on its way: not woken yet
    Job.objects.update(created_at=timezone.now() - LATER)
    assert owed.id in jobs.sweep()
    assert _replies_notified(alice) == 1
    assert not Job.objects.exists()  # done: the rows are gone
    assert jobs.sweep() == []


@pytest.mark.django_db
def test_a_job_held_by_a_live_worker_is_left_alone_and_a_dead_workers_is_run_again(
    alice, bob, topic
):
    post = create_post(author=bob, topic=topic, raw="Two workers, one job.")
    Job.objects.all().delete()  # the topic's and reply's other jobs (search, trust level)
    job = jobs.enqueue(notify_post_created, post.id)  # the test never commits: no wake
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(created_at=now - LATER, claimed_at=now)
    assert jobs.sweep() == []  # its worker is alive (the lease is fresh)
    assert jobs.run(job_id=job.id) == "not-claimed"  # a second copy of the message
    assert _replies_notified(alice) == 0

    Job.objects.filter(pk=job.pk).update(claimed_at=now - LATER)  # its worker died long ago
    assert jobs.sweep() == [job.id]
    assert _replies_notified(alice) == 1
    assert not Job.objects.exists()


@pytest.mark.django_db
def test_a_failing_job_is_kept_with_its_error_and_given_up_after_the_last_attempt(settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = Job.objects.create(task="agora.search.tasks.index_objects", args=["no-such-kind", [1]])
    for attempt in (1, 2):
        with pytest.raises(Exception):  # noqa: B017 (whatever the task raises is recorded)
            jobs.run(job_id=job.id)
        job.refresh_from_db()
        assert job.attempts == attempt and job.claimed_at is None and job.last_error
    assert jobs.run(job_id=job.id) == "not-claimed"
    Job.objects.update(created_at=timezone.now() - LATER)
    assert jobs.sweep() == []  # left for staff to look at (admin: Jobs)


@pytest.mark.django_db
def test_the_email_sweep_sends_lost_and_abandoned_emails_once_and_leaves_live_ones(
    settings, mailoutbox
):
    settings.EMAIL_SEND_LEASE_SECONDS = 60
    now = timezone.now()
    Status = OutboundEmail.Status

    def email(subject: str, **fields) -> OutboundEmail:
        row = OutboundEmail.objects.create(
            to=["mei@example.com"],
            subject=subject,
            body_text=".",
            from_email="a@example.com",
            **fields,
        )
        OutboundEmail.objects.filter(pk=row.pk).update(created_at=now - LATER)
        return row

    lost = email("lost wake")
    abandoned = email("worker died", status=Status.SENDING, claimed_at=now - LATER)
    email("being sent", status=Status.SENDING, claimed_at=now - timedelta(seconds=5))
    email("already sent", status=Status.SENT)
    fresh = OutboundEmail.objects.create(
        to=["mei@example.com"], subject="just queued", body_text=".", from_email="a@example.com"
    )

    assert sorted(sweep_emails(now=now)) == sorted([lost.id, abandoned.id])
    assert sorted(m.subject for m in mailoutbox) == ["lost wake", "worker died"]
    assert sweep_emails(now=now) == []  # sent, and woken moments ago anyway
    assert OutboundEmail.objects.get(pk=fresh.pk).status == Status.QUEUED  # its wake is in flight
    assert len(mailoutbox) == 2
