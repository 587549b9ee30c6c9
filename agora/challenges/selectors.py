"""Reads: challenges, leaderboards, contests and their entries, with what a viewer may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from agora.challenges import permissions
from agora.challenges.models import Challenge, Contest, Entry, Follow, Submission
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


BOARD_PAGE_SIZE = 50


def _board(challenge: Challenge) -> QuerySet[Submission]:
    """Scored entries in leaderboard order: by score, ties to fewer CPU-minutes, then the
    earlier entry (indexes submission_board_low / submission_board_high, one per direction)."""
    return Submission.objects.filter(challenge=challenge, status=Submission.Status.SCORED).order_by(
        better_first(challenge), "cpu_seconds", "created_at", "id"
    )


def pareto_ids(points: list[tuple[int, float, float]]) -> set[int]:
    """Ids of the entries no other entry beats on both score and CPU time at once (at least as
    good on both, better on one), from (id, score, cpu_seconds) in leaderboard order: one sweep,
    keeping the least CPU time among the strictly better scores."""
    front: set[int] = set()
    best_cpu_before = float("inf")
    index = 0
    while index < len(points):
        score = points[index][1]
        group = []
        while index < len(points) and points[index][1] == score:
            group.append(points[index])
            index += 1
        least = min(cpu for _id, _score, cpu in group)
        for entry_id, _score, cpu in group:
            if cpu == least and cpu < best_cpu_before:
                front.add(entry_id)
        best_cpu_before = min(best_cpu_before, least)
    return front


def _place(rows: list[Submission], offset: int, front: set[int]) -> None:
    for index, row in enumerate(rows, start=offset + 1):
        row.rank = row.final_rank or index
        row.pareto = row.id in front


def leaderboard(challenge: Challenge) -> list[Submission]:
    """The whole board (freezing, webhooks, the API): each entry carries `rank` (the frozen rank
    once the window closed) and `pareto`."""
    rows = list(_board(challenge).select_related("submitter", "run", "model"))
    _place(rows, 0, pareto_ids([(r.id, r.score, r.cpu_seconds) for r in rows]))
    return rows


@dataclass
class BoardPage:
    rows: list[Submission]
    number: int
    pages: int
    total: int
    points: list[dict]  # every entry, for the chart

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def leaderboard_page(challenge: Challenge, page: int = 1) -> BoardPage:
    """One page of the board (50 rows) and the chart's points for every entry: two queries
    however many entries (a light one over all of them, and the page's rows). A page past the
    end shows the last one."""
    light = list(
        _board(challenge).values_list(
            "id", "score", "cpu_seconds", "submitter__display_name", "submitter__username"
        )
    )
    front = pareto_ids([(i, score, cpu) for i, score, cpu, _name, _user in light])
    total = len(light)
    pages = max(1, -(-total // BOARD_PAGE_SIZE))
    number = min(max(1, page), pages)
    offset = (number - 1) * BOARD_PAGE_SIZE
    rows: list[Submission] = []
    if total:
        page_rows = _board(challenge).select_related("submitter", "run", "model")
        rows = list(page_rows[offset : offset + BOARD_PAGE_SIZE])
    _place(rows, offset, front)
    points = [
        {"x": round(cpu / 60, 3), "y": score, "label": name or user, "pareto": i in front}
        for i, score, cpu, name, user in light
    ]
    return BoardPage(rows, number, pages, total, points)


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
