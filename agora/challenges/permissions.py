"""Every access rule of challenges and contests: views, the API, services and templates ask here."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from agora.core.permissions import is_member, is_staff


def _trust(user) -> int:
    from agora.moderation.services import trust_level_of

    return trust_level_of(user)


def can_create_challenge(user) -> bool:
    """Staff; members of trust level 3 and up when the site allows it."""
    if is_staff(user):
        return True
    return bool(settings.CHALLENGES_TRUSTED_MAY_CREATE) and is_member(user) and _trust(user) >= 3


def can_create_contest(user) -> bool:
    return can_create_challenge(user)


def can_submit(user) -> bool:
    return is_member(user)


def can_submit_run(user, run) -> bool:
    """Only a member's own runs (a fork of another's run is theirs, and marked as a fork)."""
    return is_member(user) and run.owner_id == user.pk


def can_follow(user) -> bool:
    return is_member(user)


def can_see_submission_run(user, submission) -> bool:
    """The leaderboard links an entry's run and model card only where the viewer may see them."""
    from agora.lab.permissions import can_see_run

    return can_see_run(user, submission.run)


def can_enter_contest(user, work) -> bool:
    """A member enters their own works only."""
    return is_member(user) and work.author_id == user.pk


def can_vote(user, entry) -> bool:
    """Members of the contest's minimum trust level, on others' entries."""
    if not is_member(user) or entry.entrant_id == user.pk:
        return False
    return _trust(user) >= entry.contest.min_vote_trust


def votes_visible(contest) -> bool:
    """Vote counts stay hidden from everyone (staff too) until voting has closed."""
    return contest.state == "finished"


def can_see_entry(viewer, entry) -> bool:
    """An entry shows its work as the gallery would: a private work only to its author and staff."""
    from agora.gallery.permissions import can_see_work

    return can_see_work(viewer, entry.work)


def entries_listed(viewer) -> Q:
    """Which contest entries a list shows the viewer: as the gallery's lists, public works and
    their own private ones."""
    if is_member(viewer):
        return Q(work__private=False) | Q(work__author=viewer)
    return Q(work__private=False)


def can_be_told_about(user, challenge_or_contest) -> bool:
    """Challenges and contests are public pages; notices about one go to active members only
    (a deactivated account hears nothing)."""
    return is_member(user) and bool(user.is_active)


def notices_listed(user) -> Q:
    """Which challenge and contest notices a member's list and bell show: about a challenge or
    contest, and an entry's notice only to its own submitter."""
    about_challenge = Q(challenge__isnull=False) & (
        Q(submission__isnull=True) | Q(submission__submitter_id=user.pk)
    )
    return about_challenge | Q(contest__isnull=False)
