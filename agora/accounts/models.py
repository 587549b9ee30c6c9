from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Words the site wrote for its own accounts (the model zoo's: agora.lab.services.zoo), shown in the
# reader's language while they are unchanged; a name or bio a person edited shows as typed.
ZOO_NAME = "Agora model zoo"
ZOO_BIO = (
    "The lab's official base models: rebuilt bit for bit from their recipes "
    "(python -m genlab zoo build) and checked by python -m genlab zoo verify."
)
SITE_ACCOUNT_WORDS = {
    "zoo": {
        ZOO_NAME: _("Agora model zoo"),
        ZOO_BIO: _(
            "The lab's official base models: rebuilt bit for bit from their recipes "
            "(python -m genlab zoo build) and checked by python -m genlab zoo verify."
        ),
    }
}


def avatar_path(instance: User, filename: str) -> str:
    return f"avatars/{instance.pk}/{filename}"


class User(AbstractUser):
    """A member. Profile fields live here so a profile page costs one query."""

    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_path, blank=True)
    bio = models.TextField(_("bio"), max_length=2000, blank=True)
    links = models.JSONField(_("links"), default=list, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    interests = models.JSONField(_("interests"), default=list, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [models.Index(fields=["-date_joined"], name="user_date_joined_desc")]

    def __str__(self) -> str:
        return self.username

    def _shown(self, text: str) -> str:
        words = SITE_ACCOUNT_WORDS.get(self.username)
        return str(words[text]) if words and text in words else text

    @property
    def name(self) -> str:
        return self._shown(self.display_name or self.username)

    def site_words(self) -> list:
        """The site's own words this account still shows (translatable), for the search index
        to hold in every language; [] for a member's account."""
        words = SITE_ACCOUNT_WORDS.get(self.username, {})
        return [words[text] for text in (self.display_name, self.bio) if text in words]

    @property
    def shown_bio(self) -> str:
        """The bio as a reader sees it: the site's own accounts speak the reader's language."""
        return self._shown(self.bio)

    def get_absolute_url(self) -> str:
        return reverse("profile", kwargs={"username": self.username})
