from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LabConfig(AppConfig):
    name = "agora.lab"
    label = "lab"
    verbose_name = _("Lab")

    def ready(self) -> None:
        from agora.lab import search  # noqa: F401  (registers its search kinds)
