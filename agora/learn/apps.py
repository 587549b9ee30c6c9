from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearnConfig(AppConfig):
    name = "agora.learn"
    label = "learn"
    verbose_name = _("Learn")

    def ready(self) -> None:
        from agora.core.markdown.widgets import register_resolver
        from agora.learn import (
            receivers,  # noqa: F401  (a deleted work takes its lesson figures along)
            search,  # noqa: F401  (registers its search kinds)
            sitemaps,  # noqa: F401  (registers its sitemap)
        )
        from agora.learn.widget_markup import resolve

        register_resolver(resolve)
