from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GalleryConfig(AppConfig):
    name = "agora.gallery"
    label = "gallery"
    verbose_name = _("Gallery")

    def ready(self) -> None:
        from agora.gallery import search  # noqa: F401  (registers its search kinds)
