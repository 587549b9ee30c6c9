"""Events in sitemap.xml (not the cancelled ones)."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from agora.core.sitemaps import register_sitemap
from agora.events.models import Event


class EventSitemap(Sitemap):
    def items(self):
        return Event.objects.filter(cancelled=False).only("id").order_by("-id")


register_sitemap("events", EventSitemap)
