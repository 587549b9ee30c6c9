"""The forum in sitemap.xml: the categories and topics an anonymous visitor may see."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap

from agora.core.sitemaps import LIMIT, register_sitemap
from agora.forum.models import Topic
from agora.forum.permissions import category_access_for


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return category_access_for(AnonymousUser()).visible_categories()


class TopicSitemap(Sitemap):
    changefreq = "daily"
    limit = LIMIT

    def items(self):
        visible = category_access_for(AnonymousUser()).visible_ids()
        return (
            Topic.objects.filter(category_id__in=visible, is_private=False, deleted_at=None)
            .only("id", "title", "bumped_at")
            .order_by("-bumped_at", "-id")
        )

    def lastmod(self, item):
        return item.bumped_at


register_sitemap("categories", CategorySitemap)
register_sitemap("topics", TopicSitemap)
