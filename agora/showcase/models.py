"""Industry: product launches with upvotes and try-it sign-ups, and the partner board."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Launch(models.Model):
    name = models.CharField(_("name"), max_length=120)
    tagline = models.CharField(_("tagline"), max_length=200)
    description = models.TextField(_("description"), max_length=10_000)
    description_html = models.TextField()
    audience = models.CharField(_("for whom"), max_length=300)
    website = models.URLField(_("website"))
    repository = models.URLField(_("repository"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="launches"
    )
    screenshot = models.ImageField(_("screenshot"), upload_to="launches/", blank=True)
    vote_count = models.PositiveIntegerField(default=0)
    topic = models.OneToOneField(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="launch"
    )
    launched_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [  # the keyset of the boards' pages
            models.Index(fields=["-vote_count", "-id"], name="launch_board")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("showcase:launch", kwargs={"launch_id": self.id})


class Upvote(models.Model):
    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="upvotes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["launch", "user"], name="upvote_once")]


class TrySignup(models.Model):
    """A member asking to try a product; the consent text they saw is stored with it."""

    launch = models.ForeignKey(Launch, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("note"), max_length=500, blank=True)
    consent_text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["launch", "user"], name="try_signup_once")]


class PartnerRequest(models.Model):
    class Role(models.TextChoices):
        COFOUNDER = "cofounder", _("Co-founder")
        ENGINEER = "engineer", _("Engineer")
        ARTIST = "artist", _("Artist")
        RESEARCHER = "researcher", _("Researcher")
        INVESTOR = "investor", _("Investor")
        OTHER = "other", _("Other")

    title = models.CharField(_("title"), max_length=200)
    role = models.CharField(_("looking for"), max_length=20, choices=Role.choices)
    description = models.TextField(_("description"), max_length=10_000)
    description_html = models.TextField()
    skills = models.JSONField(_("skills wanted"), default=list)
    location = models.CharField(_("location"), max_length=120, blank=True)
    remote = models.BooleanField(_("remote is fine"), default=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_requests"
    )
    expires_at = models.DateTimeField(_("expires"))
    closed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["closed", "expires_at"], name="partner_open"),
            # the keyset of the partner board's pages
            models.Index(fields=["-created_at", "-id"], name="partner_created"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("showcase:partner", kwargs={"request_id": self.id})
