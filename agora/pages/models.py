"""The site's own pages: community guidelines, privacy and terms, written by staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class SitePage(models.Model):
    class Slug(models.TextChoices):
        GUIDELINES = "guidelines", _("Community guidelines")
        PRIVACY = "privacy", _("Privacy")
        TERMS = "terms", _("Terms of use")

    slug = models.CharField(max_length=20, choices=Slug.choices, unique=True)
    body = models.TextField(_("text (Markdown)"), max_length=50_000)
    html = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.get_slug_display()

    def get_absolute_url(self) -> str:
        return reverse("pages:page", kwargs={"slug": self.slug})
