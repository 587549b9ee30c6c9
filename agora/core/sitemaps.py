"""sitemap.xml: only what an anonymous visitor may see (public categories and their topics,
member profiles, articles, events, public gallery works). Private categories, private messages,
deleted topics and private works never appear."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.views.decorators.http import require_safe

LIMIT = 10_000


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        from agora.forum.permissions import category_access_for

        return category_access_for(AnonymousUser()).visible_categories()


class TopicSitemap(Sitemap):
    changefreq = "daily"
    limit = LIMIT

    def items(self):
        from agora.forum.models import Topic
        from agora.forum.permissions import category_access_for

        visible = category_access_for(AnonymousUser()).visible_ids()
        return (
            Topic.objects.filter(category_id__in=visible, is_private=False, deleted_at=None)
            .only("id", "title", "bumped_at")
            .order_by("-bumped_at", "-id")
        )

    def lastmod(self, item):
        return item.bumped_at


class ProfileSitemap(Sitemap):
    limit = LIMIT

    def items(self):
        from agora.accounts.models import User

        return User.objects.filter(is_active=True).only("username").order_by("id")


class ArticleSitemap(Sitemap):
    def items(self):
        from agora.learn.models import Article

        return Article.objects.only("slug").order_by("id")


class EventSitemap(Sitemap):
    def items(self):
        from agora.events.models import Event

        return Event.objects.filter(cancelled=False).only("id").order_by("-id")


class WorkSitemap(Sitemap):
    limit = LIMIT

    def items(self):
        from agora.gallery.models import Work

        return Work.objects.filter(private=False).only("id").order_by("-id")


SITEMAPS = {
    "categories": CategorySitemap,
    "topics": TopicSitemap,
    "profiles": ProfileSitemap,
    "articles": ArticleSitemap,
    "events": EventSitemap,
    "works": WorkSitemap,
}


@require_safe
def sitemap_view(request):
    return sitemap(request, sitemaps=SITEMAPS)
