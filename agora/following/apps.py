from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowingConfig(AppConfig):
    name = "agora.following"
    label = "following"
    verbose_name = _("Following")
