"""sitemap.xml: a registry, like the media rules. Each app registers in its `sitemaps.py`
(imported by its AppConfig.ready) a Django Sitemap of its public content: only what an anonymous
visitor may see. Private categories, private messages, deleted topics and private works never
appear."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap
from django.views.decorators.http import require_safe

LIMIT = 10_000  # URLs per sitemap page, for the long lists
SITEMAPS: dict[str, type[Sitemap]] = {}


def register_sitemap(name: str, sitemap_class: type[Sitemap]) -> type[Sitemap]:
    SITEMAPS[name] = sitemap_class
    return sitemap_class


@require_safe
def sitemap_view(request):
    return sitemap(request, sitemaps=SITEMAPS)
