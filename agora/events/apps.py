from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "agora.events"
    label = "events"
    verbose_name = _("Events")

    def ready(self) -> None:
        from agora.events import (
            search,  # noqa: F401  (registers its search kinds)
            sitemaps,  # noqa: F401  (registers its sitemap)
        )
