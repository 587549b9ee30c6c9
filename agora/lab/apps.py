from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabConfig(AppConfig):
    name = "agora.lab"
    label = "lab"
    verbose_name = _("Lab")

    def ready(self) -> None:
        from agora.lab import (
            media,  # noqa: F401  (registers its media rules)
            search,  # noqa: F401  (registers its search kinds)
        )
