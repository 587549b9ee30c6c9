"""Articles and tutorials: long-form Markdown with a table of contents, series and co-authors."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agora.lab.models import JobPriority


class Series(models.Model):
    title = models.CharField(_("title"), max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, allow_unicode=True)

    class Meta:
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    class Difficulty(models.TextChoices):
        BEGINNER = "beginner", _("Beginner")
        INTERMEDIATE = "intermediate", _("Intermediate")
        ADVANCED = "advanced", _("Advanced")

    class Area(models.TextChoices):
        TEXT = "text", _("Text generation")
        IMAGE = "image", _("Image generation")
        AUDIO_VIDEO = "audio-video", _("Audio and video generation")
        GAN = "gan", _("GANs")
        VAE = "vae", _("VAEs")
        DIFFUSION = "diffusion", _("Diffusion models")
        TOOLING = "tooling", _("Tooling")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(max_length=220, unique=True, allow_unicode=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"), max_length=200_000)
    body_html = models.TextField()
    toc = models.JSONField(default=list)  # [[level, anchor id, text], ...]
    difficulty = models.CharField(_("difficulty"), max_length=20, choices=Difficulty.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices)
    series = models.ForeignKey(
        Series, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    series_part = models.PositiveIntegerField(null=True, blank=True)
    authors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="articles")
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="article"
    )
    revision_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["area", "-created_at"], name="article_area_created"),
            # The keyset of the articles' pages (the Learn page and the API).
            models.Index(fields=["-created_at", "-id"], name="article_created"),
            models.Index(fields=["series", "series_part"], name="article_series_part"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "series_part"], name="article_series_part_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("learn:article", kwargs={"slug": self.slug})


class ArticleRevision(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body_before = models.TextField()
    body_after = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_revision_unique")
        ]


class Resource(models.Model):
    """The resource library: open-source projects, data sets and papers."""

    class Kind(models.TextChoices):
        PROJECT = "project", _("Open-source project")
        DATASET = "dataset", _("Data set")
        PAPER = "paper", _("Paper")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    url = models.URLField(_("link"))
    description = models.TextField(_("description"), max_length=10_000, blank=True)
    description_html = models.TextField(blank=True)
    licence = models.CharField(_("licence"), max_length=60, blank=True)
    programming_language = models.CharField(_("programming language"), max_length=40, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    maintainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="maintained_resources"
    )
    arxiv_id = models.CharField(_("arXiv id"), max_length=40, blank=True)
    paper_authors = models.CharField(_("authors"), max_length=500, blank=True)
    abstract = models.TextField(_("abstract"), max_length=5000, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    use_count = models.PositiveIntegerField(default=0)
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="resource"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "-created_at"], name="resource_kind_created"),
            # The keyset of the library's pages, most used first, of every kind or of one.
            models.Index(fields=["-use_count", "-id"], name="resource_used"),
            models.Index(fields=["kind", "-use_count", "-id"], name="resource_kind_used"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=~models.Q(arxiv_id=""), name="resource_arxiv_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("learn:resource", kwargs={"resource_id": self.id})


class ResourceUse(models.Model):
    """A member's "I use this" on a project."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "user"], name="resource_use_once")
        ]


class WidgetResult(models.Model):
    """What a lesson widget drew for one state: the figure (PNG), its numbers, and for live
    trainings the frames. The key is a digest of (kind, canonical state), so every visitor who
    asks for the same state gets this row; the row is also the job of a live training."""

    class Status(models.TextChoices):
        DECLARED = "declared", _("Not computed yet")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=64, unique=True)
    state = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    png = models.BinaryField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    frame_count = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=2000, blank=True)
    # Who spent quota on it (null: a state declared by a lesson, computed for whoever comes).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A live training a member asked for goes first; the lessons' warm-ups queued by the demo
    # seed wait for an idle lane (agora/lab/lane.py).
    priority = models.PositiveSmallIntegerField(
        choices=JobPriority.choices, default=JobPriority.MEMBER
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)  # the sweep's (agora/core/jobs.py)
    created_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A member's quota: their computations of the last hour.
            models.Index(fields=["requested_by", "-created_at"], name="widget_quota"),
            # The training lane's question "does a member's training wait?" (lab/lane.py).
            models.Index(fields=["status", "priority"], name="widget_lane"),
        ]


class WidgetFrame(models.Model):
    """One redrawn figure of a live training (every few steps)."""

    result = models.ForeignKey(WidgetResult, on_delete=models.CASCADE, related_name="frames")
    number = models.PositiveIntegerField()
    step = models.PositiveIntegerField()
    png = models.BinaryField()
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "number"], name="widget_frame_unique")
        ]


class LessonCompletion(models.Model):
    """A member marked a lesson (an article of a lesson series) done."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_completions"
    )
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="completions")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "article"], name="lesson_completed_once")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="lesson_completion_user")]
