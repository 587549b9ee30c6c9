"""Every write of challenges and contests: keyword-only, in a transaction, side effects (the
evaluation job, webhooks, notices) on commit. The evaluation itself is in evaluation.py."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.challenges import permissions, selectors
from agora.challenges.models import (
    Challenge,
    Contest,
    Entry,
    Follow,
    Submission,
    Vote,
)
from agora.core import jobs
from agora.core.limits import check_lengths
from agora.core.markdown import render
from agora.lab.models import JobPriority, LabModel, TrainingRun

MAX_PROTOCOL_COUNT = 1000
MAX_TEXT_PROTOCOL_COUNT = 256  # genlab.gpt.MAX_TEXT_COUNT: one text recipe's samples
DISCUSSION_CATEGORY = "image-generation"


def _task(key: str):
    from genlab.tasks import TASKS

    return TASKS.get(key)


@transaction.atomic
def create_challenge(
    *,
    creator: User,
    title: str,
    description: str,
    task: str,
    dataset: str,
    metric: str,
    cpu_budget_minutes: int,
    opens_at: datetime,
    closes_at: datetime,
    title_zh: str = "",
    description_zh: str = "",
    seed: int = 0,
    count: int = 500,
    samplers: list[str] | None = None,
    max_steps: int = 50,
    daily_limit: int = 3,
) -> Challenge:
    if not permissions.can_create_challenge(creator):
        raise PermissionDenied(_("Only staff can create challenges."))
    title, title_zh = title.strip(), title_zh.strip()
    errors: dict[str, str] = {}
    spec = _task(task)
    if len(title) < 3:
        errors["title"] = _("Give the challenge a title of at least 3 characters.")
    if not description.strip():
        errors["description"] = _("Describe the challenge.")
    if spec is None:
        errors["task"] = _("Choose one of the tasks.")
    elif dataset not in spec.datasets:
        errors["dataset"] = _("This task takes the data sets %(names)s.") % {
            "names": ", ".join(spec.datasets)
        }
    if spec is not None and metric not in spec.metrics:
        errors["metric"] = _("This task reports %(names)s.") % {"names": ", ".join(spec.metrics)}
    if not 1 <= cpu_budget_minutes <= 24 * 60:
        errors["cpu_budget_minutes"] = _("The CPU budget must be between 1 and 1440 minutes.")
    most = MAX_TEXT_PROTOCOL_COUNT if spec is not None and spec.kind == "text" else None
    if not 10 <= count <= (most or MAX_PROTOCOL_COUNT):
        errors["count"] = _("The sample count must be between 10 and %(n)d.") % {
            "n": most or MAX_PROTOCOL_COUNT
        }
    if not 0 <= seed < 2**31:
        errors["seed"] = _("The seed must be a whole number from 0 to 2147483647.")
    if not 1 <= max_steps <= 1000:
        errors["max_steps"] = _("Sampling steps must be between 1 and 1000.")
    samplers = samplers or ["ddim", "ddpm", "direct"]
    if not set(samplers) <= {"ddim", "ddpm", "direct"}:
        errors["samplers"] = _("Choose samplers among DDIM, DDPM and direct.")
    if not 1 <= daily_limit <= 50:
        errors["daily_limit"] = _("The daily limit must be between 1 and 50 entries.")
    if closes_at <= opens_at:
        errors["closes_at"] = _("The window must close after it opens.")
    elif closes_at <= timezone.now():
        errors["closes_at"] = _("The window must close in the future.")
    if errors:
        raise ValidationError(errors)
    check_lengths(
        Challenge,
        title=title,
        title_zh=title_zh,
        description=description,
        description_zh=description_zh,
    )
    challenge = Challenge(
        creator=creator,
        title=title,
        title_zh=title_zh,
        description=description,
        description_zh=description_zh,
        description_html=render(description),
        description_zh_html=render(description_zh) if description_zh.strip() else "",
        task=task,
        dataset=dataset,
        metric=metric,
        protocol=_protocol(spec, seed=seed, count=count, samplers=samplers, max_steps=max_steps),
        cpu_budget_minutes=cpu_budget_minutes,
        daily_limit=daily_limit,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    challenge.full_clean()
    challenge.save()
    from agora.forum.services import open_discussion

    raw = f"{description}\n\n[{_('Challenge page')}]({challenge.get_absolute_url()})"
    challenge.topic = open_discussion(
        author=creator,
        category_slug=DISCUSSION_CATEGORY,
        title=f"{_('Challenge')}: {title}"[:200],
        raw=raw,
    )
    challenge.save(update_fields=["topic"])
    return challenge


def _protocol(spec, *, seed: int, count: int, samplers: list[str], max_steps: int) -> dict:
    """What the challenge stores of genlab.challenge.Protocol. Text is drawn with the sampler
    settings fixed here (genlab's defaults on the day the challenge opens), the same for every
    entry: no sampler choice, no steps."""
    if spec.kind != "text":
        return {"seed": seed, "count": count, "samplers": samplers, "max_steps": max_steps}
    from genlab.tasks import TEXT_PROTOCOL

    return {"seed": seed, "count": count, "samplers": [], **TEXT_PROTOCOL}


def is_text(challenge: Challenge) -> bool:
    spec = _task(challenge.task)
    return spec is not None and spec.kind == "text"


def _refuse(message: str) -> None:
    raise ValidationError(message)


@transaction.atomic
def submit(
    *,
    user: User,
    challenge: Challenge,
    run: TrainingRun | None = None,
    model: LabModel | None = None,
    sampler: str = "",
    steps: int | None = None,
    background: bool = False,
) -> Submission:
    """Enter a finished run (or the run behind a published model) of the member's own. Every
    refusal says why and stores nothing; the evaluation runs on the training queue, first in
    line with other members' jobs, or with `background` (the demo seed's zoo entries; no form or
    API passes it) only while no member job waits (agora/lab/lane.py)."""
    if model is not None:
        run = model.run
    if run is None:
        raise ValidationError({"run": _("Choose one of your finished runs.")})
    if not permissions.can_submit_run(user, run):
        raise PermissionDenied(_("You can only enter your own runs and models."))
    now = timezone.now()
    if challenge.frozen_at or now >= challenge.closes_at:
        _refuse(
            _("This challenge closed on %(when)s; it takes no more entries.")
            % {"when": challenge.closes_at.strftime("%Y-%m-%d %H:%M UTC")}
        )
    if now < challenge.opens_at:
        _refuse(
            _("This challenge opens on %(when)s.")
            % {"when": challenge.opens_at.strftime("%Y-%m-%d %H:%M UTC")}
        )
    if run.status != TrainingRun.Status.COMPLETED or not run.checkpoint_sha256:
        _refuse(_("Only a completed run can be entered."))
    if run.dataset != challenge.dataset:
        _refuse(
            _("This run was trained on %(run)s; this challenge takes %(challenge)s.")
            % {
                "run": run.dataset,
                "challenge": challenge.dataset,
            }
        )
    budget_s = challenge.cpu_budget_minutes * 60
    if run.cpu_seconds <= 0:
        _refuse(_("This run's CPU time was not recorded; train it again to enter it."))
    if run.cpu_seconds > budget_s:
        _refuse(
            _("This run used %(used).1f CPU-minutes; the budget is %(budget)d.")
            % {"used": run.cpu_seconds / 60, "budget": challenge.cpu_budget_minutes}
        )
    protocol = challenge.protocol
    if is_text(challenge) and (sampler or steps is not None):
        _refuse(
            _(
                "This challenge samples every entry's texts with the protocol's settings; "
                "leave the sampler and the steps empty."
            )
        )
    if sampler and sampler not in protocol.get("samplers", []):
        _refuse(
            _("The protocol allows the samplers %(names)s.")
            % {"names": ", ".join(protocol.get("samplers", []))}
        )
    if steps is not None and not 1 <= steps <= protocol.get("max_steps", 50):
        _refuse(_("Sampling steps must be between 1 and %(n)d.") % {"n": protocol["max_steps"]})
    # One member's entries are counted under a lock on their row: two at once cannot both pass.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if Submission.objects.filter(challenge=challenge, run=run).exists():
        _refuse(_("This run is already entered in this challenge."))
    if selectors.entries_today(user=user, challenge=challenge) >= challenge.daily_limit:
        _refuse(
            _("You can enter %(n)d runs a day in this challenge; try again tomorrow.")
            % {"n": challenge.daily_limit}
        )
    forked = run.forked_from_id is not None and (
        TrainingRun.objects.filter(pk=run.forked_from_id).exclude(owner=user).exists()
    )
    submission = Submission(
        challenge=challenge,
        submitter=user,
        run=run,
        model=model or LabModel.objects.filter(run=run).first(),
        is_fork=forked,
        sampler=sampler,
        sampling_steps=steps,
        cpu_seconds=run.cpu_seconds,
        checkpoint_sha256=run.checkpoint_sha256,
        priority=JobPriority.BACKGROUND if background else JobPriority.MEMBER,
    )
    submission.full_clean()
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        _refuse(_("This run is already entered in this challenge."))
    from agora.challenges import tasks

    jobs.wake_on_commit(tasks.evaluate_submission, submission.id)
    return submission


def toggle_follow(*, user: User, challenge: Challenge) -> bool:
    if not permissions.can_follow(user):
        raise PermissionDenied(_("Log in to follow challenges."))
    with transaction.atomic():
        deleted, _details = Follow.objects.filter(challenge=challenge, user=user).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Follow.objects.create(challenge=challenge, user=user)
    except IntegrityError:
        pass
    return True


def remind_closing(*, now: datetime | None = None) -> list[int]:
    """Beat: followers of a challenge that closes within a day are told, once (the flag
    `closing_reminded_at` is claimed by a conditional update before anyone is told)."""
    from agora.challenges import notices

    now = now or timezone.now()
    due = Challenge.objects.filter(
        closing_reminded_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + timezone.timedelta(days=1),
    )
    reminded = []
    for challenge_id in due.values_list("id", flat=True):
        with transaction.atomic():
            if not due.filter(pk=challenge_id).update(closing_reminded_at=now):
                continue
            notices.closing_tomorrow(Challenge.objects.get(pk=challenge_id))
        reminded.append(challenge_id)
    return reminded


def freeze_due(*, now: datetime | None = None) -> list[int]:
    """Beat: challenges past their window with no entry still being evaluated are frozen: final
    ranks written, winners announced in the challenge's topic and told."""
    now = now or timezone.now()
    pending = Submission.objects.filter(
        status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]
    )
    frozen = []
    for challenge in Challenge.objects.filter(frozen_at__isnull=True, closes_at__lte=now):
        if pending.filter(challenge_id=challenge.id).exists():
            continue
        if freeze(challenge=challenge, now=now):
            frozen.append(challenge.id)
    return frozen


@transaction.atomic
def freeze(*, challenge: Challenge, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if not Challenge.objects.filter(pk=challenge.pk, frozen_at__isnull=True).update(frozen_at=now):
        return False  # frozen already
    challenge.frozen_at = now
    board = selectors.leaderboard(challenge)
    for index, entry in enumerate(board, start=1):
        Submission.objects.filter(pk=entry.pk).update(final_rank=index)
        entry.final_rank = index
    winners = board[:3]
    from agora.challenges import notices

    notices.placed(challenge, winners)
    _announce(challenge, winners)
    from agora.challenges.hooks import challenge_closed

    transaction.on_commit(lambda: challenge_closed(challenge.id))
    return True


def _announce(challenge: Challenge, winners: list[Submission]) -> None:
    """A post in the challenge's topic (opened now if it has none) naming the winners."""
    from agora.forum.services import create_post, open_discussion

    lines = [f"## {_('Results')}: {challenge.title}", ""]
    for entry in winners:
        lines.append(
            f"{entry.final_rank}. @{entry.submitter.username} — {challenge.metric} "
            f"{entry.score:.4g}, {entry.cpu_minutes:.2f} CPU-min"
        )
    if not winners:
        lines.append(_("No entry was scored."))
    lines += ["", f"[{_('Leaderboard')}]({challenge.get_absolute_url()})"]
    raw = "\n".join(lines)
    if challenge.topic is None:
        challenge.topic = open_discussion(
            author=challenge.creator,
            category_slug=DISCUSSION_CATEGORY,
            title=f"{_('Challenge')}: {challenge.title}"[:200],
            raw=raw,
        )
        Challenge.objects.filter(pk=challenge.pk).update(topic=challenge.topic)
        return
    try:
        with transaction.atomic():
            create_post(author=challenge.creator, topic=challenge.topic, raw=raw)
    except (PermissionDenied, ValidationError):
        pass  # a closed or deleted topic: the leaderboard and profiles still show the winners


# --- contests ------------------------------------------------------------------------------------


@transaction.atomic
def create_contest(
    *,
    creator: User,
    title: str,
    theme: str,
    rules: str,
    opens_at: datetime,
    entries_close_at: datetime,
    voting_closes_at: datetime,
    require_recipe: bool = False,
    min_vote_trust: int = 1,
) -> Contest:
    if not permissions.can_create_contest(creator):
        raise PermissionDenied(_("Only staff can create contests."))
    title, theme = title.strip(), theme.strip()
    errors: dict[str, str] = {}
    if len(title) < 3:
        errors["title"] = _("Give the contest a title of at least 3 characters.")
    if not theme:
        errors["theme"] = _("Give the contest a theme.")
    if not 0 <= min_vote_trust <= 4:
        errors["min_vote_trust"] = _("Trust levels go from 0 to 4.")
    if entries_close_at <= opens_at:
        errors["entries_close_at"] = _("Entries must close after they open.")
    if voting_closes_at <= entries_close_at:
        errors["voting_closes_at"] = _("Voting must close after entries close.")
    if errors:
        raise ValidationError(errors)
    check_lengths(Contest, title=title, theme=theme, rules=rules)
    contest = Contest(
        creator=creator,
        title=title,
        theme=theme,
        rules=rules,
        rules_html=render(rules) if rules.strip() else "",
        require_recipe=require_recipe,
        min_vote_trust=min_vote_trust,
        opens_at=opens_at,
        entries_close_at=entries_close_at,
        voting_closes_at=voting_closes_at,
    )
    contest.full_clean()
    contest.save()
    return contest


@transaction.atomic
def enter_contest(*, user: User, contest: Contest, work) -> Entry:
    if not permissions.can_enter_contest(user, work):
        raise PermissionDenied(_("You can only enter your own works."))
    if contest.state != "entries":
        _refuse(_("This contest is not taking entries now."))
    if work.private:
        _refuse(_("A private work cannot be entered; make it public first."))
    if contest.require_recipe and work.source != "lab":
        _refuse(_("This contest takes only works generated in the lab, whose recipe is verified."))
    if Entry.objects.filter(contest=contest, work=work).exists():
        _refuse(_("This work is already entered."))
    try:
        with transaction.atomic():
            return Entry.objects.create(contest=contest, work=work, entrant=user)
    except IntegrityError:
        _refuse(_("This work is already entered."))
        raise  # unreachable: _refuse raises


def vote(*, user: User, entry: Entry) -> None:
    contest = entry.contest
    if not permissions.can_vote(user, entry):
        if entry.entrant_id == user.pk:
            raise PermissionDenied(_("You cannot vote for your own work."))
        raise PermissionDenied(
            _("Members of trust level %(n)d and up can vote.") % {"n": contest.min_vote_trust}
        )
    if contest.state != "voting":
        _refuse(_("Voting is not open for this contest."))
    try:
        with transaction.atomic():
            Vote.objects.create(entry=entry, voter=user)
            Entry.objects.filter(pk=entry.pk).update(vote_count=F("vote_count") + 1)
    except IntegrityError:
        _refuse(_("You already voted for this work."))


def announce_due_votes(*, now: datetime | None = None) -> list[int]:
    """Beat: the entrants of a contest whose voting opened are told, once (the flag
    `voting_announced_at` is claimed by a conditional update first)."""
    from agora.challenges import notices
    from agora.notifications.models import Notification

    now = now or timezone.now()
    due = Contest.objects.filter(
        voting_announced_at__isnull=True,
        entries_close_at__lte=now,
        voting_closes_at__gt=now,
        finished_at__isnull=True,
    )
    announced = []
    for contest in due:
        with transaction.atomic():
            if not due.filter(pk=contest.pk).update(voting_announced_at=now):
                continue
            notices.contest_entrants(contest, Notification.Kind.CONTEST_VOTING)
        announced.append(contest.id)
    return announced


def finish_due_contests(*, now: datetime | None = None) -> list[int]:
    """Beat: contests whose voting closed get their ranks (votes, ties to the earlier entry)
    and their entrants are told."""
    from agora.challenges import notices
    from agora.notifications.models import Notification

    now = now or timezone.now()
    done = []
    for contest_id in Contest.objects.filter(
        finished_at__isnull=True, voting_closes_at__lte=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            if not Contest.objects.filter(pk=contest_id, finished_at__isnull=True).update(
                finished_at=now
            ):
                continue
            ranked = Entry.objects.filter(contest_id=contest_id).order_by(
                "-vote_count", "created_at", "id"
            )
            for index, entry_id in enumerate(ranked.values_list("id", flat=True), start=1):
                Entry.objects.filter(pk=entry_id).update(final_rank=index)
            contest = Contest.objects.get(pk=contest_id)
            notices.contest_entrants(contest, Notification.Kind.CONTEST_RESULTS)
        done.append(contest_id)
    return done


def close_all_due() -> dict[str, list[int]]:
    """The beat's sweep for this app."""
    return {
        "frozen": freeze_due(),
        "reminded": remind_closing(),
        "voting": announce_due_votes(),
        "contests": finish_due_contests(),
        "woken": _wake_lost_evaluations(),
    }


def _wake_lost_evaluations() -> list[int]:
    from django.db.models import Q

    from agora.challenges import tasks

    stale = timezone.now() - timezone.timedelta(seconds=settings.JOB_LEASE_SECONDS)
    Submission.objects.filter(status=Submission.Status.RUNNING, claimed_at__lt=stale).update(
        status=Submission.Status.QUEUED
    )
    return jobs.wake_due(Submission, Q(status=Submission.Status.QUEUED), tasks.evaluate_submission)
