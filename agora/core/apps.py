from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "agora.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from agora.core import signals  # noqa: F401  (connects the worker heartbeat)
        from agora.core.text import normalize_model_text

        # Every row an Agora model saves has its text normalised (forms, API, imports alike).
        pre_save.connect(normalize_model_text, dispatch_uid="agora.core.text.normalize")
