"""The token page (every member) and the webhook admin page (staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from agora.api import permissions, tokens, webhooks
from agora.api.forms import TokenForm, WebhookForm
from agora.api.models import ApiToken, WebhookEndpoint
from agora.core.forms import add_validation_errors
from agora.core.paging import keyset_page

DELIVERIES_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = raw = None
    if request.method == "POST" and form.is_valid():
        try:
            created, raw = tokens.create_token(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            form = TokenForm()
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens.user_tokens(user=request.user),
            "created": created,
            "raw": raw,
        },
        status=status,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404("No such token")
    tokens.revoke_token(user=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens")


def _staff(request: HttpRequest) -> None:
    if not permissions.can_manage_webhooks(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def webhooks_page(request: HttpRequest) -> HttpResponse:
    _staff(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = webhooks.create_endpoint(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_validation_errors(form, exc)
        else:
            messages.success(request, _("Webhook added. Its signing secret is shown below."))
            return redirect("api_webhook", endpoint_id=endpoint.id)
    status = 400 if form.is_bound and form.errors else 200
    endpoints = WebhookEndpoint.objects.order_by("-created_at")
    return render(
        request, "api/webhooks.html", {"form": form, "endpoints": endpoints}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _staff(request)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "delete":
            webhooks.delete_endpoint(actor=request.user, endpoint=endpoint)
            messages.success(request, _("Webhook deleted."))
            return redirect("api_webhooks")
        if action in ("enable", "disable"):
            webhooks.set_active(actor=request.user, endpoint=endpoint, active=action == "enable")
        return redirect("api_webhook", endpoint_id=endpoint.id)
    cursor = request.GET.get("cursor")
    deliveries, next_cursor = keyset_page(
        endpoint.deliveries.all(), key="created_at", cursor=cursor, limit=DELIVERIES_PER_PAGE
    )
    context = {"endpoint": endpoint, "deliveries": deliveries, "next_cursor": next_cursor}
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "api/webhook_detail.html#delivery-rows", context)
    return render(request, "api/webhook_detail.html", context)


@login_required
@require_POST
def webhook_test(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    _staff(request)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such webhook")
    webhooks.send_test(actor=request.user, endpoint=endpoint)
    messages.success(request, _("Test event sent; its delivery is logged below."))
    return redirect("api_webhook", endpoint_id=endpoint.id)
