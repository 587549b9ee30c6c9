"""Writes of the site's pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.limits import check_lengths
from agora.core.markdown import render
from agora.pages import permissions
from agora.pages.models import SitePage


@transaction.atomic
def edit_page(*, actor: User, slug: str, body: str) -> SitePage:
    if not permissions.can_edit_page(actor):
        raise PermissionDenied(_("Only staff can edit this page."))
    if slug not in SitePage.Slug.values:
        raise ValidationError(_("There is no such page."))
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write something first.")})
    check_lengths(SitePage, body=body)
    page = SitePage.objects.select_for_update().filter(slug=slug).first() or SitePage(slug=slug)
    page.body, page.html, page.updated_by = body, render(body), actor
    page.full_clean()
    page.save()
    return page
