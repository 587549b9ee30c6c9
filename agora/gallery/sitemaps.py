"""Public gallery works in sitemap.xml."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from agora.core.sitemaps import LIMIT, register_sitemap
from agora.gallery.models import Work


class WorkSitemap(Sitemap):
    limit = LIMIT

    def items(self):
        return Work.objects.filter(private=False).only("id").order_by("-id")


register_sitemap("works", WorkSitemap)
