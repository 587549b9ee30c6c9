from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "agora.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from agora.accounts import sitemaps  # noqa: F401  (registers its sitemap)
