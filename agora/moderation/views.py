from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from agora.forum import permissions
from agora.forum import selectors as forum_selectors
from agora.forum.models import Post
from agora.moderation import selectors, services
from agora.moderation.forms import FlagForm


@login_required
@require_POST
def flag(request: HttpRequest, post_id: int) -> HttpResponse:
    access = permissions.get_access(request)
    post = forum_selectors.get_post_for_viewer(post_id=post_id, viewer=request.user, access=access)
    form = FlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why you are flagging this post."))
    else:
        try:
            services.flag_post(user=request.user, post=post, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thanks — the moderators will take a look."))
    return redirect(post.get_absolute_url())


def _require_staff(request: HttpRequest) -> None:
    if not permissions.can_moderate(request.user):
        raise PermissionDenied(_("Only staff can review flags."))


@login_required
@require_safe
def review_queue(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    cursor = request.GET.get("cursor")
    posts, next_cursor = selectors.review_queue(cursor=cursor)
    context = {"posts": posts, "next_cursor": next_cursor}
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "moderation/review.html#review-items", context)
    return render(request, "moderation/review.html", context)


@login_required
@require_POST
def resolve(request: HttpRequest, post_id: int) -> HttpResponse:
    _require_staff(request)
    post = get_object_or_404(Post, pk=post_id)
    decision = request.POST.get("decision")
    if decision not in {"agree", "agree_delete", "disagree"}:
        messages.error(request, _("Unknown action."))
        return redirect("moderation:review")
    services.resolve_flags(
        actor=request.user,
        post=post,
        agree=decision != "disagree",
        delete=decision == "agree_delete",
    )
    messages.success(request, _("Flags resolved."))
    return redirect("moderation:review")


@login_required
@require_safe
def staff_log(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    cursor = request.GET.get("cursor")
    actions, next_cursor = selectors.staff_log(cursor=cursor)
    context = {"actions": actions, "next_cursor": next_cursor}
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "moderation/log.html#log-rows", context)
    return render(request, "moderation/log.html", context)
