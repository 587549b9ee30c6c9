from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.notifications import selectors, services
from agora.notifications.forms import NotificationSettingsForm
from agora.notifications.models import Notification


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    page = selectors.notifications_for(user=request.user, cursor=request.GET.get("cursor"))
    return render(
        request,
        "notifications/index.html",
        {"notifications": page.notifications, "next_cursor": page.next_cursor},
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and go to the post; GET too, so the link works without JavaScript."""
    try:
        notification = services.mark_read(user=request.user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    return HttpResponseRedirect(notification.target_url())


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    messages.success(request, _("All notifications are marked read."))
    return redirect("notifications:index")


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    current = services.settings_for(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            services.update_settings(user=request.user, **form.cleaned_data)
            messages.success(request, _("Your email settings are saved."))
            return redirect("notifications:settings")
        return render(request, "notifications/settings.html", {"form": form}, status=400)
    return render(request, "notifications/settings.html", {"form": form})


# The signed token is the credential: mail clients POST here without a session or a CSRF token
# (RFC 8058 one-click). GET only asks, since link checkers in mailboxes follow links.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = services.read_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    member, kind = found
    context = {"kind": services.unsubscribe_label(kind), "done": request.method == "POST"}
    if request.method == "POST":
        services.unsubscribe(member=member, kind=kind)
    return render(request, "notifications/unsubscribe.html", context)
