"""Members' profiles in sitemap.xml."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from agora.accounts.models import User
from agora.core.sitemaps import LIMIT, register_sitemap


class ProfileSitemap(Sitemap):
    limit = LIMIT

    def items(self):
        return User.objects.filter(is_active=True).only("username").order_by("id")


register_sitemap("profiles", ProfileSitemap)
