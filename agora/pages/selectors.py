from __future__ import annotations

from django.http import Http404

from agora.core.markdown import render
from agora.pages.defaults import DEFAULTS
from agora.pages.models import SitePage


def get_page(*, slug: str) -> SitePage:
    """The page as staff last wrote it, or its default text (not stored until edited)."""
    if slug not in SitePage.Slug.values:
        raise Http404("No such page")
    page = SitePage.objects.select_related("updated_by").filter(slug=slug).first()
    if page is None:
        page = SitePage(slug=slug, body=DEFAULTS[slug], html=render(DEFAULTS[slug]))
    return page
