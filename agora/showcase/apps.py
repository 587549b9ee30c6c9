from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    name = "agora.showcase"
    label = "showcase"
    verbose_name = _("Launches and partners")

    def ready(self) -> None:
        from agora.showcase import search  # noqa: F401  (registers its search kinds)
