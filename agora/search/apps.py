from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "agora.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from agora.search import kinds, receivers  # noqa: F401
