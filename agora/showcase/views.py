from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.core.forms import add_validation_errors
from agora.core.text import normalize_text
from agora.showcase import permissions, selectors, services
from agora.showcase.forms import LaunchForm, PartnerRequestForm, TryForm
from agora.showcase.models import PartnerRequest, Upvote


@require_safe
def launches(request: HttpRequest) -> HttpResponse:
    period = "day" if request.GET.get("period") == "day" else "week"
    cursor = request.GET.get("cursor")
    board, next_cursor = selectors.launch_board(period=period, cursor=cursor)
    voted = set()
    if request.user.is_authenticated:
        voted = set(
            Upvote.objects.filter(user=request.user, launch__in=board).values_list(
                "launch_id", flat=True
            )
        )
    context = {"board": board, "period": period, "voted": voted, "next_cursor": next_cursor}
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "showcase/launches.html#launch-rows", context)
    return render(request, "showcase/launches.html", context)


@require_safe
def launch(request: HttpRequest, launch_id: int) -> HttpResponse:
    obj = selectors.get_launch(launch_id=launch_id)
    is_owner = permissions.is_launch_owner(request.user, obj)
    context = {
        "launch": obj,
        "is_owner": is_owner,
        "signups": list(obj.signups.select_related("user").order_by("-created_at"))
        if is_owner
        else [],
        "signed_up": request.user.is_authenticated
        and obj.signups.filter(user=request.user).exists(),
        "voted": request.user.is_authenticated and obj.upvotes.filter(user=request.user).exists(),
        "try_form": TryForm(),
        "consent_text": services.CONSENT_TEXT,
    }
    return render(request, "showcase/launch.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_launch(request: HttpRequest) -> HttpResponse:
    form = LaunchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.create_launch(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "showcase/new_launch.html", {"form": form}, status=status)


@login_required
@require_POST
def vote(request: HttpRequest, launch_id: int) -> HttpResponse:
    obj = selectors.get_launch(launch_id=launch_id)
    try:
        if not services.upvote(user=request.user, launch=obj):
            messages.info(request, _("You already upvoted this launch."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(
        request.POST.get("next")
        if request.POST.get("next") == "/launches/"
        else obj.get_absolute_url()
    )


@login_required
@require_POST
def try_it(request: HttpRequest, launch_id: int) -> HttpResponse:
    obj = selectors.get_launch(launch_id=launch_id)
    form = TryForm(request.POST)
    form.is_valid()
    try:
        services.sign_up_to_try(
            user=request.user,
            launch=obj,
            note=form.cleaned_data.get("note", ""),
            consent=form.cleaned_data.get("consent", False),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You signed up to try it; the team will contact you."))
    return redirect(obj.get_absolute_url())


@login_required
@require_safe
def export_signups(request: HttpRequest, launch_id: int) -> HttpResponse:
    obj = selectors.get_launch(launch_id=launch_id)
    signups = selectors.signups_for_owner(user=request.user, launch=obj)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="launch-{obj.id}-signups.csv"'
    writer = csv.writer(response)
    writer.writerow(["username", "email", "note", "signed_up_at", "consent"])
    for signup in signups:
        # Stored text is not trusted: no control characters in a cell, whatever is in the row.
        note = normalize_text(signup.note)
        # A leading = + - @ would run as a formula in a spreadsheet: quote it.
        note = ("'" + note) if note[:1] in "=+-@" else note
        writer.writerow(
            [
                signup.user.username,
                signup.user.email,
                note,
                signup.created_at.isoformat(),
                normalize_text(signup.consent_text),
            ]
        )
    return response


@require_safe
def partners(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role", "")
    cursor = request.GET.get("cursor")
    rows, next_cursor = selectors.open_requests_page(role=role, cursor=cursor)
    context = {
        "requests": rows,
        "next_cursor": next_cursor,
        "roles": PartnerRequest.Role.choices,
        "role": role,
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "showcase/partners.html#partner-rows", context)
    return render(request, "showcase/partners.html", context)


@require_safe
def partner(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = selectors.get_request(request_id=request_id, viewer=request.user)
    is_author = permissions.is_request_author(request.user, obj)
    context = {
        "req": obj,
        "is_author": is_author,
        "matches": selectors.matching_members(request_obj=obj) if is_author else [],
    }
    return render(request, "showcase/partner.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def new_partner(request: HttpRequest) -> HttpResponse:
    form = PartnerRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            obj = services.create_partner_request(author=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            return redirect(obj.get_absolute_url())
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "showcase/new_partner.html", {"form": form}, status=status)


@login_required
@require_POST
def close_partner(request: HttpRequest, request_id: int) -> HttpResponse:
    obj = selectors.get_request(request_id=request_id, viewer=request.user)
    services.close_partner_request(user=request.user, request_obj=obj)
    messages.success(request, _("The request was closed."))
    return redirect("showcase:partners")
