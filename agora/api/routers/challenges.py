"""Model challenges (list, read, leaderboard, submit) and work contests (list, read), through the
challenges app's selectors, permissions and services."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.schemas import InSchema, MemberRef, member_ref, one_of, page_of
from agora.challenges import permissions, selectors, services
from agora.challenges.models import Challenge, Contest, Submission
from agora.core.params import parse_id

router = Router(tags=["challenges"])


class ChallengeOut(Schema):
    id: int
    title: str
    title_zh: str
    description: str
    description_zh: str
    task: str
    dataset: str
    metric: str
    better: str  # "lower" or "higher"
    protocol: dict
    cpu_budget_minutes: int
    daily_limit: int
    opens_at: datetime
    closes_at: datetime
    state: str
    frozen: bool
    url: str


class EntryOut(Schema):
    id: int
    rank: int | None
    member: MemberRef
    status: str
    verified: bool
    score: float | None
    metrics: dict
    cpu_minutes: float
    pareto: bool
    is_fork: bool
    model_url: str
    refusal: str
    created_at: datetime


class LeaderboardOut(Schema):
    challenge: int
    metric: str
    better: str
    frozen: bool
    entries: list[EntryOut]
    page: int
    pages: int
    total: int


class SubmissionIn(InSchema):
    run: int | None = None
    model: int | None = None
    sampler: one_of(("", "ddim", "ddpm", "direct")) = ""
    steps: int | None = Field(None, ge=1, le=1000)


class ContestOut(Schema):
    id: int
    title: str
    theme: str
    rules: str
    require_recipe: bool
    min_vote_trust: int
    opens_at: datetime
    entries_close_at: datetime
    voting_closes_at: datetime
    state: str
    url: str
    entries: list[dict]


ChallengePage = page_of(ChallengeOut)


def _better(challenge: Challenge) -> str:
    return "lower" if selectors.better_first(challenge) == "score" else "higher"


def challenge_out(challenge: Challenge) -> dict:
    return {
        "id": challenge.id,
        "title": challenge.title,
        "title_zh": challenge.title_zh,
        "description": challenge.description,
        "description_zh": challenge.description_zh,
        "task": challenge.task,
        "dataset": challenge.dataset,
        "metric": challenge.metric,
        "better": _better(challenge),
        "protocol": challenge.protocol,
        "cpu_budget_minutes": challenge.cpu_budget_minutes,
        "daily_limit": challenge.daily_limit,
        "opens_at": challenge.opens_at,
        "closes_at": challenge.closes_at,
        "state": challenge.state,
        "frozen": challenge.is_frozen,
        "url": challenge.get_absolute_url(),
    }


def entry_out(entry: Submission, user, *, rank: int | None = None, pareto: bool = False) -> dict:
    """An entry; its model card or run link only where the caller may see them."""
    link = ""
    if entry.model is not None and not entry.model.private:
        link = entry.model.get_absolute_url()
    elif permissions.can_see_submission_run(user, entry):
        link = entry.run.get_absolute_url()
    return {
        "id": entry.id,
        "rank": rank,
        "member": member_ref(entry.submitter),
        "status": entry.status,
        "verified": entry.verified,
        "score": entry.score,
        "metrics": entry.metrics,
        "cpu_minutes": round(entry.cpu_minutes, 4),
        "pareto": pareto,
        "is_fork": entry.is_fork,
        "model_url": link,
        "refusal": entry.refusal if entry.submitter_id == getattr(user, "pk", None) else "",
        "created_at": entry.created_at,
    }


@router.get("/challenges", response={200: ChallengePage, **ERRORS})
def list_challenges(request: HttpRequest, cursor: str | None = None):
    """Challenges, newest first."""
    rows, next_cursor = selectors.challenge_page(cursor=cursor)
    return {"items": [challenge_out(c) for c in rows], "next_cursor": next_cursor}


@router.get("/challenges/{challenge_id}", response={200: ChallengeOut, **ERRORS})
def get_challenge(request: HttpRequest, challenge_id: int):
    return challenge_out(selectors.get_challenge(challenge_id))


@router.get("/challenges/{challenge_id}/leaderboard", response={200: LeaderboardOut, **ERRORS})
def leaderboard(request: HttpRequest, challenge_id: int, page: int = 1):
    """Scored, verified entries by score (ties: fewer CPU-minutes, then the earlier entry), each
    marked when it is on the Pareto front of score against CPU-minutes; 50 a page (`page`,
    from 1; past the end gives the last page)."""
    challenge = selectors.get_challenge(challenge_id)
    user = viewer(request)
    board = selectors.leaderboard_page(challenge, page)
    return {
        "challenge": challenge.id,
        "metric": challenge.metric,
        "better": _better(challenge),
        "frozen": challenge.is_frozen,
        "entries": [entry_out(e, user, rank=e.rank, pareto=e.pareto) for e in board.rows],
        "page": board.number,
        "pages": board.pages,
        "total": board.total,
    }


@router.post("/challenges/{challenge_id}/submissions", response={201: EntryOut, **ERRORS})
def submit(request: HttpRequest, challenge_id: int, payload: SubmissionIn):
    """Enter one of your completed runs (`run`) or published models (`model`). The entry waits
    for evaluation on the training queue; poll the leaderboard, or listen to the
    `submission.evaluated` webhook."""
    from django.core.exceptions import ValidationError

    from agora.lab.models import LabModel, TrainingRun

    user = require(request, "write")
    challenge = selectors.get_challenge(challenge_id)
    run = model = None
    if payload.model is not None:
        model = (
            LabModel.objects.select_related("run")
            .filter(pk=parse_id(str(payload.model)) or 0)
            .first()
        )
        if model is None:
            raise ValidationError({"model": "No such model."})
    elif payload.run is not None:
        run = TrainingRun.objects.filter(pk=parse_id(str(payload.run)) or 0).first()
        if run is None:
            raise ValidationError({"run": "No such run."})
    entry = services.submit(
        user=user,
        challenge=challenge,
        run=run,
        model=model,
        sampler=payload.sampler,
        steps=payload.steps,
    )
    entry = Submission.objects.select_related("submitter", "run", "model").get(pk=entry.pk)
    return Status(201, entry_out(entry, user))


@router.get("/contests", response={200: page_of(ContestOut), **ERRORS})
def list_contests(request: HttpRequest, cursor: str | None = None):
    """Work contests, newest first (entries listed on each contest)."""
    rows, next_cursor = selectors.contest_page(cursor=cursor)
    return {
        "items": [contest_out(c, viewer(request), entries=False) for c in rows],
        "next_cursor": next_cursor,
    }


@router.get("/contests/{contest_id}", response={200: ContestOut, **ERRORS})
def get_contest(request: HttpRequest, contest_id: int):
    """A contest with the entries the caller may see; votes only once voting has closed."""
    return contest_out(selectors.get_contest(contest_id), viewer(request))


def contest_out(contest: Contest, user, *, entries: bool = True) -> dict:
    shown = selectors.contest_entries(viewer=user, contest=contest) if entries else []
    votes = permissions.votes_visible(contest)
    return {
        "id": contest.id,
        "title": contest.title,
        "theme": contest.theme,
        "rules": contest.rules,
        "require_recipe": contest.require_recipe,
        "min_vote_trust": contest.min_vote_trust,
        "opens_at": contest.opens_at,
        "entries_close_at": contest.entries_close_at,
        "voting_closes_at": contest.voting_closes_at,
        "state": contest.state,
        "url": contest.get_absolute_url(),
        "entries": [
            {
                "id": e.id,
                "work": e.work_id,
                "title": e.work.title,
                "author": e.work.author.username,
                "votes": e.vote_count if votes else None,
                "rank": e.final_rank if votes else None,
            }
            for e in shown
        ],
    }
