from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "agora.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from agora.api import receivers  # noqa: F401 (connects the webhook dispatchers)
