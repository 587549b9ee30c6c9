from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "agora.gallery"
    label = "gallery"
    verbose_name = _("Gallery")

    def ready(self) -> None:
        # registers its media rules and sitemaps
        from agora.gallery import (  # noqa: F401
            media,
            search,
            sitemaps,
        )
