from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from agora.accounts import selectors as account_selectors
from agora.following import selectors, services


@login_required
@require_POST
def follow(request: HttpRequest, username: str) -> HttpResponse:
    member = account_selectors.get_profile_for_viewer(username=username, viewer=request.user)
    services.set_following(
        follower=request.user, member=member, follow=request.POST.get("follow") == "1"
    )
    return redirect("profile", username=member.username)


@login_required
@require_safe
def feed(request: HttpRequest) -> HttpResponse:
    from agora.forum.permissions import get_access
    from agora.gallery.selectors import viewer_level

    cursor = request.GET.get("cursor")
    items, next_cursor = selectors.following_feed(
        viewer=request.user, access=get_access(request), cursor=cursor
    )
    context = {
        "items": items,
        "next_cursor": next_cursor,
        "viewer_level": viewer_level(request.user),
    }
    if request.headers.get("HX-Request") == "true" and cursor:
        return render(request, "following/feed.html#items", context)
    return render(request, "following/feed.html", context)
