from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from agora.core.forms import add_validation_errors
from agora.pages import permissions, selectors, services
from agora.pages.forms import PageForm


@require_safe
def page(request: HttpRequest, slug: str) -> HttpResponse:
    obj = selectors.get_page(slug=slug)
    context = {"page": obj, "can_edit": permissions.can_edit_page(request.user)}
    return render(request, "pages/page.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    obj = selectors.get_page(slug=slug)
    if not permissions.can_edit_page(request.user):
        raise PermissionDenied(_("Only staff can edit this page."))
    form = PageForm(request.POST or None, initial={"body": obj.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_page(actor=request.user, slug=slug, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "pages/edit.html", {"page": obj, "form": form}, status=status)
