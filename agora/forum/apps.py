from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "agora.forum"
    label = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        # registers its media rules and sitemaps
        from agora.forum import media, receivers, sitemaps  # noqa: F401
