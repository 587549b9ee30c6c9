"""Works: generated images with the recipe that made them, reactions, comments, collections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def work_path(instance: Work, filename: str) -> str:
    return f"works/{instance.author_id}/{filename}"


class Work(models.Model):
    class Licence(models.TextChoices):
        CC_BY = "cc-by-4.0", "CC BY 4.0"
        CC_BY_SA = "cc-by-sa-4.0", "CC BY-SA 4.0"
        CC_BY_NC = "cc-by-nc-4.0", "CC BY-NC 4.0"
        CC0 = "cc0-1.0", "CC0 1.0"
        ALL_RIGHTS = "all-rights-reserved", _("All rights reserved")

    class NSFW(models.IntegerChoices):
        NONE = 0, _("Safe")
        SUGGESTIVE = 1, _("Suggestive")
        MATURE = 2, _("Mature")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded")
        LAB = "lab", _("Made in the lab")

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="works"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    image = models.ImageField(upload_to=work_path)
    thumbnail = models.ImageField(upload_to=work_path)
    # A second, smaller WebP for dense grids and phones (srcset); empty on works made before it.
    thumbnail_small = models.ImageField(upload_to=work_path, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    # The recipe, as structured fields (what other tools embedded, or what the lab used).
    prompt = models.TextField(_("prompt"), max_length=10_000, blank=True)
    negative_prompt = models.TextField(_("negative prompt"), max_length=10_000, blank=True)
    seed = models.BigIntegerField(_("seed"), null=True, blank=True)
    sampler = models.CharField(_("sampler"), max_length=60, blank=True)
    steps = models.PositiveIntegerField(_("steps"), null=True, blank=True)
    guidance = models.FloatField(_("guidance"), null=True, blank=True)
    recipe_width = models.PositiveIntegerField(null=True, blank=True)
    recipe_height = models.PositiveIntegerField(null=True, blank=True)
    model_name = models.CharField(_("model"), max_length=200, blank=True, db_index=True)
    model_hash = models.CharField(_("model hash"), max_length=80, blank=True)
    # The data set the lab model was trained on (built-in name or the upload's name).
    dataset = models.CharField(_("data set"), max_length=80, blank=True, db_index=True)
    metadata_source = models.CharField(max_length=10, blank=True)
    raw_metadata = models.TextField(blank=True)
    recipe_hidden = models.BooleanField(_("hide the recipe"), default=False)
    licence = models.CharField(
        _("licence"), max_length=30, choices=Licence.choices, default=Licence.CC_BY
    )
    nsfw = models.PositiveSmallIntegerField(
        _("content level"), choices=NSFW.choices, default=NSFW.NONE
    )
    tags = models.JSONField(default=list, blank=True)
    remix_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remixes"
    )
    private = models.BooleanField(_("private"), default=False)
    reaction_count = models.PositiveIntegerField(default=0)
    # agora.core.trending.score(reaction_count, created_at): see docs/gallery.md
    trending_score = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["private", "-created_at", "-id"], name="work_feed"),
            models.Index(fields=["-reaction_count", "-id"], name="work_most_reacted"),
            models.Index(fields=["-trending_score", "-id"], name="work_trending"),
            models.Index(fields=["author", "-created_at"], name="work_author_created"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("gallery:work", kwargs={"work_id": self.id})

    @property
    def is_small(self) -> bool:
        """Tiny images (an 8x8 digit, a 28x28 sample) are shown scaled up with crisp pixels."""
        return max(self.width, self.height) <= 128

    @property
    def thumbnail_srcset(self) -> str:
        """The stored thumbnails with their widths, for `srcset` (small first)."""
        sides = [(self.thumbnail_small, 256), (self.thumbnail, 512)]
        parts = []
        for field, side in sides:
            if field:
                if self.is_small:  # enlarged by a whole factor (services._thumbnail)
                    width = self.width * max(1, side // max(self.width, self.height))
                else:
                    width = round(self.width * min(1.0, side / max(self.width, self.height)))
                parts.append(f"{field.url} {width}w")
        return ", ".join(parts)

    @property
    def has_recipe(self) -> bool:
        return bool(self.prompt or self.seed is not None or self.model_name or self.steps)


class Reaction(models.Model):
    class Kind(models.TextChoices):
        LIKE = "like", "♥"
        WOW = "wow", "✨"
        LAUGH = "laugh", "😄"

    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "user", "kind"], name="reaction_once")
        ]


class Comment(models.Model):
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    raw = models.TextField(max_length=5000)
    html = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]


class Collection(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    title = models.CharField(_("title"), max_length=120)
    private = models.BooleanField(_("private"), default=False)
    works = models.ManyToManyField(Work, blank=True, related_name="collections")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="collection_title_unique")
        ]

    def __str__(self) -> str:
        return self.title


class ViewerSettings(models.Model):
    """Whether a member opted in to see suggestive or mature works unblurred."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gallery_settings"
    )
    max_nsfw = models.PositiveSmallIntegerField(choices=Work.NSFW.choices, default=Work.NSFW.NONE)
