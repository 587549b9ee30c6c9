"""What members notice about challenges and contests in the bell, on /notifications/ and by
email: their entry scored or refused, a followed challenge closing tomorrow (once), a contest
they entered opening its vote and publishing results (once each); and nobody hears about what
is not theirs."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from agora.challenges import evaluation, notices, services
from agora.challenges.models import Challenge, Contest, Submission
from agora.challenges.tests.conftest import recorded_run
from agora.challenges.tests.test_contests import to_voting, work
from agora.challenges.tests.test_pages import scored
from agora.notifications.models import Notification

SECRET = "canaryrefusalreason"


def queued(challenge, member) -> Submission:
    run = recorded_run(member, title="queued run", dataset=challenge.dataset, cpu_seconds=30)
    return Submission.objects.create(
        challenge=challenge, submitter=member, run=run, status="running", cpu_seconds=30
    )


def bell(client) -> str:
    return client.get("/notifications/").content.decode()


def mails_to(member) -> list:
    return [m for m in mail.outbox if member.email in m.to]


@pytest.mark.django_db
def test_a_refused_entry_tells_only_its_submitter_with_the_reason(
    challenge, alice, bob, charlie, client, django_capture_on_commit_callbacks
):
    entry = queued(challenge, bob)
    with django_capture_on_commit_callbacks(execute=True):
        evaluation._refuse(entry, time.process_time(), f"the recipe {SECRET} did not rebuild")
    client.force_login(bob)
    page = bell(client)
    assert "was refused" in page and SECRET in page and challenge.title in page
    assert 'class="badge"' in client.get("/").content.decode()  # the bell counts it
    (message,) = mails_to(bob)
    assert "was refused" in message.subject and SECRET in message.body
    assert challenge.get_absolute_url() in message.body
    # Canary: nobody else hears of it, on the page, in the API or by email.
    for other in (alice, charlie):
        client.force_login(other)
        assert SECRET not in bell(client)
        assert SECRET not in client.get("/api/v1/notifications").content.decode()
        assert not mails_to(other)
    client.logout()
    assert SECRET not in client.get("/notifications/", follow=True).content.decode()
    # Opening it marks it read and goes to the challenge.
    client.force_login(bob)
    notice = Notification.objects.get(user=bob)
    response = client.get(f"/notifications/{notice.id}/open/")
    assert response.status_code == 302 and response["Location"] == challenge.get_absolute_url()


@pytest.mark.django_db
def test_an_entry_notice_is_never_listed_to_anyone_but_its_submitter(challenge, alice, bob, client):
    """Even a stray row (written by mistake) about bob's entry stays out of alice's bell."""
    entry = queued(challenge, bob)
    Submission.objects.filter(pk=entry.pk).update(status="refused", refusal=SECRET)
    Notification.objects.create(
        user=alice, kind="entry_refused", challenge=challenge, submission=entry
    )
    client.force_login(alice)
    assert SECRET not in bell(client) and "was refused" not in bell(client)


@pytest.mark.django_db
def test_a_scored_entry_is_told_once_with_its_score(
    challenge, alice, client, django_capture_on_commit_callbacks
):
    entry = scored(challenge, alice, 0.01234, 90)
    with django_capture_on_commit_callbacks(execute=True):
        notices.entry_evaluated(entry)
        notices.entry_evaluated(entry)  # the worker ran twice
    assert Notification.objects.filter(user=alice, kind="entry_scored").count() == 1
    client.force_login(alice)
    assert "was scored and verified: mmd2 0.01234" in bell(client)
    (message,) = mails_to(alice)
    assert "scored" in message.subject and "1.50 CPU-minutes" in message.body


@pytest.mark.django_db
def test_followers_hear_the_day_before_a_challenge_closes_once(
    challenge, staff, alice, bob, charlie, client, django_capture_on_commit_callbacks
):
    from agora.accounts.models import User

    other = services.create_challenge(
        creator=staff,
        title="Swiss rolls",
        description="Roll.",
        task="density-2d",
        dataset="swissroll",
        metric="mmd2",
        cpu_budget_minutes=5,
        opens_at=timezone.now() - timedelta(hours=1),
        closes_at=timezone.now() + timedelta(days=3),
    )
    for member in (alice, bob):
        client.force_login(member)
        assert client.post(f"/challenges/{challenge.id}/follow/").status_code == 302
    client.force_login(charlie)
    client.post(f"/challenges/{other.id}/follow/")  # follows the other one only
    User.objects.filter(pk=bob.pk).update(is_active=False)  # a deactivated follower
    Challenge.objects.filter(pk=challenge.pk).update(closes_at=timezone.now() + timedelta(hours=20))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.close_all_due()["reminded"] == [challenge.id]
        assert services.close_all_due()["reminded"] == []  # the beat runs again: nothing more
    assert list(Notification.objects.values_list("user__username", "kind")) == [
        ("alice", "challenge_closing")
    ]
    client.force_login(alice)
    assert "a challenge you follow, closes tomorrow" in bell(client)
    (message,) = mails_to(alice)
    assert "closes tomorrow" in message.subject
    assert not mails_to(bob) and not mails_to(charlie)


@pytest.mark.django_db
def test_the_follow_button_follows_and_unfollows(challenge, alice, client):
    client.force_login(alice)
    url = challenge.get_absolute_url()
    assert ">Follow<" in client.get(url).content.decode()
    client.post(f"/challenges/{challenge.id}/follow/")
    assert ">Unfollow<" in client.get(url).content.decode()
    client.post(f"/challenges/{challenge.id}/follow/")
    assert ">Follow<" in client.get(url).content.decode()


@pytest.mark.django_db
def test_contest_entrants_hear_when_voting_opens_and_when_results_are_out(
    staff, alice, bob, charlie, client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    contest = services.create_contest(
        creator=staff,
        title="Night skies",
        theme="Stars",
        rules="",
        opens_at=now - timedelta(hours=1),
        entries_close_at=now + timedelta(days=1),
        voting_closes_at=now + timedelta(days=2),
    )
    services.enter_contest(user=alice, contest=contest, work=work(alice, "Alice sky"))
    services.enter_contest(user=alice, contest=contest, work=work(alice, "Alice dusk"))
    services.enter_contest(user=bob, contest=contest, work=work(bob, "Bob sky"))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.announce_due_votes() == []  # entries still open
        to_voting(contest)
        assert services.announce_due_votes() == [contest.id]
        assert services.announce_due_votes() == []
    voting = Notification.objects.filter(kind="contest_voting")
    assert sorted(voting.values_list("user__username", flat=True)) == ["alice", "bob"]
    client.force_login(alice)
    assert "Voting opened in “Night skies”" in bell(client)
    Contest.objects.filter(pk=contest.pk).update(voting_closes_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert services.finish_due_contests() == [contest.id]
        assert services.finish_due_contests() == []
    results = Notification.objects.filter(kind="contest_results")
    assert sorted(results.values_list("user__username", flat=True)) == ["alice", "bob"]
    assert "The results of “Night skies”" in bell(client)
    assert len(mails_to(alice)) == 2 and not mails_to(charlie)
    client.force_login(charlie)
    assert "Night skies" not in bell(client)


@pytest.mark.django_db
def test_a_member_who_turned_challenge_emails_off_still_sees_the_bell(
    challenge, alice, client, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    settings_page = client.get("/notifications/settings/").content.decode()
    assert "challenge entries" in settings_page
    client.post(
        "/notifications/settings/",
        {"email_on_mention": "on", "email_on_reply": "on", "email_on_private_message": "on"},
    )
    entry = scored(challenge, alice, 0.02, 60)
    with django_capture_on_commit_callbacks(execute=True):
        notices.entry_evaluated(entry)
    assert not mails_to(alice)
    assert "was scored" in bell(client)
