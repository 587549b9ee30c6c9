"""Who hears about challenges and contests, through the notifications app (the bell, and email
unless turned off): an entry's submitter when it is scored or refused, a challenge's followers the
day before it closes, its winners, and a contest's entrants when voting opens and when the results
are out. Each is safe to run twice: the notification's unique constraints keep one per member."""

from __future__ import annotations

from django.db.models import QuerySet

from agora.accounts.models import User
from agora.challenges import permissions
from agora.challenges.models import Challenge, Contest, Entry, Follow, Submission
from agora.notifications.models import Notification
from agora.notifications.services import notify_about

Kind = Notification.Kind


def _told(members: QuerySet, about) -> list[User]:
    return [m for m in members if permissions.can_be_told_about(m, about)]


def entry_evaluated(submission: Submission) -> None:
    """The submitter hears their entry was scored (and verified) or refused, with the reason."""
    entry = Submission.objects.select_related("challenge", "submitter").get(pk=submission.pk)
    if entry.status not in (Submission.Status.SCORED, Submission.Status.REFUSED):
        return
    kind = Kind.ENTRY_SCORED if entry.status == Submission.Status.SCORED else Kind.ENTRY_REFUSED
    for member in _told(User.objects.filter(pk=entry.submitter_id), entry.challenge):
        notify_about(user=member, kind=kind, challenge=entry.challenge, submission=entry)


def closing_tomorrow(challenge: Challenge) -> None:
    followers = User.objects.filter(
        pk__in=Follow.objects.filter(challenge=challenge).values("user_id")
    )
    for member in _told(followers, challenge):
        notify_about(user=member, kind=Kind.CHALLENGE_CLOSING, challenge=challenge)


def placed(challenge: Challenge, winners: list[Submission]) -> None:
    for entry in winners:
        if permissions.can_be_told_about(entry.submitter, challenge):
            notify_about(
                user=entry.submitter, kind=Kind.CHALLENGE_WON, challenge=challenge, submission=entry
            )


def contest_entrants(contest: Contest, kind: str) -> None:
    """Each entrant once, however many works they entered."""
    entrants = User.objects.filter(
        pk__in=Entry.objects.filter(contest=contest).values("entrant_id")
    )
    for member in _told(entrants, contest):
        notify_about(user=member, kind=kind, contest=contest)
