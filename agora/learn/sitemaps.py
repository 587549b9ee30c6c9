"""Articles in sitemap.xml."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from agora.core.sitemaps import register_sitemap
from agora.learn.models import Article


class ArticleSitemap(Sitemap):
    def items(self):
        return Article.objects.only("slug").order_by("id")


register_sitemap("articles", ArticleSitemap)
