from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChallengesConfig(AppConfig):
    name = "agora.challenges"
    label = "challenges"
    verbose_name = _("Challenges")

    def ready(self) -> None:
        from agora.challenges import search  # noqa: F401  (registers its search kinds)
