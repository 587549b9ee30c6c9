"""Model challenges (the platform scores members' runs on a sealed split, under one protocol and
a CPU budget, and checks that each entry's recipe rebuilds it) and work contests (members enter
gallery works, members vote, votes stay hidden until the end)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from agora.lab.models import JobPriority


class Challenge(models.Model):
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="challenges_created"
    )
    title = models.CharField(_("title"), max_length=160)
    title_zh = models.CharField(_("title (Chinese)"), max_length=160, blank=True)
    description = models.TextField(_("description (Markdown)"), max_length=20_000)
    description_zh = models.TextField(
        _("description in Chinese (Markdown)"), max_length=20_000, blank=True
    )
    description_html = models.TextField(blank=True)
    description_zh_html = models.TextField(blank=True)
    task = models.CharField(_("task"), max_length=40)  # a key of genlab.challenge.TASKS
    dataset = models.CharField(_("data set"), max_length=40)
    metric = models.CharField(_("ranking metric"), max_length=40)
    # genlab.challenge.Protocol: seed, count, samplers, max_steps (a text task: seed, count and
    # the fixed sampler settings temperature, top_k, top_p, length; samplers empty)
    protocol = models.JSONField(default=dict)
    cpu_budget_minutes = models.PositiveIntegerField(_("CPU budget (training minutes)"))
    daily_limit = models.PositiveSmallIntegerField(
        _("evaluated entries per member per day"), default=3
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    frozen_at = models.DateTimeField(null=True, blank=True)  # the leaderboard's final state
    closing_reminded_at = models.DateTimeField(null=True, blank=True)
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="challenge"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="challenge_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="challenge_window"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:challenge", kwargs={"challenge_id": self.id})

    @property
    def localized_title(self) -> str:
        return self.title_zh if self.title_zh and _is_zh() else self.title

    @property
    def localized_html(self) -> str:
        return (
            self.description_zh_html
            if self.description_zh_html and _is_zh()
            else (self.description_html)
        )

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at and self.frozen_at is None

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def state(self) -> str:
        now = timezone.now()
        if self.frozen_at or now >= self.closes_at:
            return "closed"
        return "open" if now >= self.opens_at else "upcoming"


def _is_zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for evaluation")
        RUNNING = "running", _("Being evaluated")
        SCORED = "scored", _("Scored")
        REFUSED = "refused", _("Refused")

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="submissions")
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="challenge_submissions"
    )
    run = models.ForeignKey("lab.TrainingRun", on_delete=models.CASCADE, related_name="+")
    model = models.ForeignKey(
        "lab.LabModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_fork = models.BooleanField(default=False)  # the run forks another member's run
    sampler = models.CharField(max_length=10, blank=True)
    sampling_steps = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # A member's entry goes first; the zoo's demo entries wait for an idle lane (lab/lane.py).
    priority = models.PositiveSmallIntegerField(
        choices=JobPriority.choices, default=JobPriority.MEMBER
    )
    verified = models.BooleanField(default=False)  # the rebuild from the recipe was identical
    refusal = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    score = models.FloatField(null=True, blank=True)  # the challenge's ranking metric
    cpu_seconds = models.FloatField(default=0)  # the run's training CPU time
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    samples_sha256 = models.CharField(max_length=64, blank=True)
    recipe = models.JSONField(default=dict, blank=True)  # the protocol's generation recipe
    eval_seconds = models.FloatField(default=0)  # CPU time of scoring + rebuilding
    final_rank = models.PositiveIntegerField(null=True, blank=True)  # set when frozen
    created_at = models.DateTimeField(auto_now_add=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    # The evaluation's lease and the sweep's last wake (agora/core/jobs.py)
    claimed_at = models.DateTimeField(null=True, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "run"], name="submission_run_once")
        ]
        indexes = [
            # The leaderboard's order, one index per direction of the ranking metric.
            models.Index(
                fields=["challenge", "status", "score", "cpu_seconds", "created_at", "id"],
                name="submission_board_low",
            ),
            models.Index(
                fields=["challenge", "status", "-score", "cpu_seconds", "created_at", "id"],
                name="submission_board_high",
            ),
            models.Index(fields=["submitter", "-created_at"], name="submission_member"),
            # The training lane's question "does a member's evaluation wait?" (lab/lane.py).
            models.Index(fields=["status", "priority"], name="submission_lane"),
        ]

    def __str__(self) -> str:
        return f"{self.challenge_id}: run {self.run_id}"

    @property
    def cpu_minutes(self) -> float:
        return self.cpu_seconds / 60

    @property
    def is_pending(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class Follow(models.Model):
    """A member following a challenge is told the day before it closes."""

    challenge = models.ForeignKey(Challenge, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["challenge", "user"], name="challenge_follow_once")
        ]


class Contest(models.Model):
    creator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contests_created"
    )
    title = models.CharField(_("title"), max_length=160)
    theme = models.CharField(_("theme"), max_length=200)
    rules = models.TextField(_("rules (Markdown)"), max_length=10_000, blank=True)
    rules_html = models.TextField(blank=True)
    require_recipe = models.BooleanField(_("entries need a verified lab recipe"), default=False)
    min_vote_trust = models.PositiveSmallIntegerField(_("trust level needed to vote"), default=1)
    opens_at = models.DateTimeField(_("entries open at"))
    entries_close_at = models.DateTimeField(_("entries close at"))
    voting_closes_at = models.DateTimeField(_("voting closes at"))
    finished_at = models.DateTimeField(null=True, blank=True)  # results counted and shown
    voting_announced_at = models.DateTimeField(null=True, blank=True)  # entrants told, once
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="contest_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(entries_close_at__gt=models.F("opens_at"))
                & models.Q(voting_closes_at__gt=models.F("entries_close_at")),
                name="contest_windows",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("challenges:contest", kwargs={"contest_id": self.id})

    @property
    def state(self) -> str:
        now = timezone.now()
        if self.finished_at or now >= self.voting_closes_at:
            return "finished"
        if now >= self.entries_close_at:
            return "voting"
        return "entries" if now >= self.opens_at else "upcoming"


class Entry(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="entries")
    work = models.ForeignKey("gallery.Work", on_delete=models.CASCADE, related_name="+")
    entrant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    vote_count = models.PositiveIntegerField(default=0)  # shown only once voting has closed
    final_rank = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contest", "work"], name="contest_entry_once")
        ]
        indexes = [models.Index(fields=["contest", "created_at", "id"], name="entry_contest")]


class Vote(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "voter"], name="contest_vote_once")]
