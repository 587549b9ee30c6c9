"""Reads: challenges, leaderboards, contests and their entries, with what a viewer may see."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from agora.challenges import permissions
from agora.challenges.models import Challenge, ChallengeNotice, Contest, Entry, Follow, Submission
from agora.core.paging import keyset_page

PAGE_SIZE = 30


def challenge_page(*, cursor: str | None):
    """Challenges, newest first (index challenge_created)."""
    return keyset_page(
        Challenge.objects.select_related("creator"),
        key="created_at",
        cursor=cursor,
        limit=PAGE_SIZE,
    )


def get_challenge(challenge_id: int) -> Challenge:
    challenge = Challenge.objects.select_related("creator", "topic").filter(pk=challenge_id).first()
    if challenge is None:
        raise Http404("No such challenge")
    return challenge


def better_first(challenge: Challenge) -> str:
    from genlab.tasks import TASKS

    return "score" if TASKS[challenge.task].better(challenge.metric) == "lower" else "-score"


def leaderboard(challenge: Challenge) -> list[Submission]:
    """Scored entries by score, ties to fewer CPU-minutes, then the earlier entry; each carries
    `rank` (the frozen rank once the window closed) and `pareto` (no other entry is at least as
    good on both score and CPU time and better on one)."""
    rows = list(
        Submission.objects.filter(challenge=challenge, status=Submission.Status.SCORED)
        .select_related("submitter", "run", "model")
        .order_by(better_first(challenge), "cpu_seconds", "created_at", "id")
    )
    lower = better_first(challenge) == "score"
    for index, row in enumerate(rows, start=1):
        row.rank = row.final_rank or index
        row.pareto = not any(_dominates(other, row, lower) for other in rows if other is not row)
    return rows


def _dominates(a: Submission, b: Submission, lower: bool) -> bool:
    sa, sb = (a.score, b.score) if lower else (-a.score, -b.score)
    return (
        sa <= sb and a.cpu_seconds <= b.cpu_seconds and (sa < sb or a.cpu_seconds < b.cpu_seconds)
    )


def chart_points(board: list[Submission]) -> list[dict]:
    """The score-against-CPU-minutes chart's data (a JSON script element, read by chart.js)."""
    return [
        {
            "x": round(s.cpu_minutes, 3),
            "y": s.score,
            "label": s.submitter.name,
            "pareto": s.pareto,
        }
        for s in board
    ]


def own_submissions(*, user, challenge: Challenge) -> list[Submission]:
    if not user.is_authenticated:
        return []
    return list(
        Submission.objects.filter(challenge=challenge, submitter=user)
        .select_related("run")
        .order_by("-created_at", "-id")
    )


def is_following(*, user, challenge: Challenge) -> bool:
    return user.is_authenticated and Follow.objects.filter(challenge=challenge, user=user).exists()


def submittable_runs(user, dataset: str) -> QuerySet:
    """A member's latest completed runs on the challenge's data set (the submit form's choices;
    the service checks whatever run id is posted)."""
    from agora.lab.models import TrainingRun

    return TrainingRun.objects.filter(
        owner=user, status=TrainingRun.Status.COMPLETED, dataset=dataset
    ).order_by("-created_at")[:50]


def entries_today(*, user, challenge: Challenge) -> int:
    """Entries counted against the daily limit: those evaluated or waiting, in the last 24 h."""
    since = timezone.now() - timezone.timedelta(days=1)
    return (
        Submission.objects.filter(challenge=challenge, submitter=user, created_at__gte=since)
        .exclude(status=Submission.Status.REFUSED, evaluated_at__isnull=True)
        .count()
    )


def wins_of(user) -> list[Submission]:
    """A member's podium places in closed challenges (their profile lists them)."""
    return list(
        Submission.objects.filter(submitter=user, final_rank__lte=3)
        .select_related("challenge")
        .order_by("-challenge__closes_at")[:20]
    )


def notices(user) -> list[ChallengeNotice]:
    return list(
        ChallengeNotice.objects.filter(user=user)
        .select_related("challenge", "submission")
        .order_by("-created_at", "-id")[:50]
    )


# --- contests ------------------------------------------------------------------------------------


def contest_page(*, cursor: str | None):
    return keyset_page(
        Contest.objects.select_related("creator"), key="created_at", cursor=cursor, limit=PAGE_SIZE
    )


def get_contest(contest_id: int) -> Contest:
    contest = Contest.objects.select_related("creator").filter(pk=contest_id).first()
    if contest is None:
        raise Http404("No such contest")
    return contest


def contest_entries(*, viewer, contest: Contest) -> list[Entry]:
    """Entries the viewer may see (a private work only to its author and staff, as in the
    gallery); by votes once voting closed (ties: the earlier entry), else in entry order."""
    queryset = (
        Entry.objects.filter(contest=contest)
        .filter(permissions.entries_listed(viewer))
        .select_related("work", "work__author", "entrant")
    )
    if permissions.votes_visible(contest):
        return list(queryset.order_by("-vote_count", "created_at", "id"))
    return list(queryset.order_by("created_at", "id"))


def my_votes(*, viewer, contest: Contest) -> set[int]:
    if not viewer.is_authenticated:
        return set()
    from agora.challenges.models import Vote

    return set(
        Vote.objects.filter(entry__contest=contest, voter=viewer).values_list("entry_id", flat=True)
    )


def featured_winners() -> list[Entry]:
    """The winning works of the latest finished contests (the home page features them)."""
    return list(
        Entry.objects.filter(final_rank=1, work__private=False, contest__finished_at__isnull=False)
        .select_related("work", "work__author", "contest")
        .order_by("-contest__finished_at")[:3]
    )


def entry_counts(contest_ids: list[int]) -> dict[int, int]:
    rows = (
        Entry.objects.filter(contest_id__in=contest_ids)
        .values("contest_id")
        .annotate(n=Count("id"))
    )
    return {r["contest_id"]: r["n"] for r in rows}
