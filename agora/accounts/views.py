from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from agora.accounts import permissions, selectors, services
from agora.accounts.forms import AvatarForm, PreferencesForm, ProfileForm
from agora.core.params import parse_id


@require_safe
def members(request: HttpRequest) -> HttpResponse:
    before = parse_id(request.GET.get("before"))
    page, next_cursor = selectors.members_page(before=before)
    context = {"members": page, "next_cursor": next_cursor}
    if request.headers.get("HX-Request"):
        return render(request, "accounts/members.html#member-page", context)
    return render(request, "accounts/members.html", context)


@require_safe
def member_suggestions(request: HttpRequest) -> JsonResponse:
    found = selectors.suggest_members(prefix=request.GET.get("q", ""))
    return JsonResponse({"members": [{"username": m.username, "name": m.name} for m in found]})


@require_safe
def profile(request: HttpRequest, username: str) -> HttpResponse:
    from agora.challenges.selectors import wins_of as challenge_wins
    from agora.following import permissions as following_permissions
    from agora.following import selectors as following_selectors
    from agora.forum import permissions as forum_permissions
    from agora.forum import selectors as forum_selectors
    from agora.gallery import selectors as gallery_selectors
    from agora.lab import selectors as lab_selectors
    from agora.learn.selectors import completed_lessons
    from agora.moderation.models import MemberStats

    member = selectors.get_profile_for_viewer(username=username, viewer=request.user)
    stats = MemberStats.objects.filter(user=member).first()
    context = {
        "member": member,
        "can_edit": permissions.can_edit_profile(request.user, member),
        "activity": forum_selectors.member_activity(
            member=member, viewer=request.user, access=forum_permissions.get_access(request)
        ),
        "trust_level": stats.trust_level if stats else 0,
        "lab": lab_selectors.member_lab_work(member, request.user),
        "completed_lessons": completed_lessons(member=member),
        # what they made: works and lab models the viewer may see (one query each)
        "works": gallery_selectors.work_feed(viewer=request.user, author=member.username, limit=8)[
            0
        ],
        "models": list(
            lab_selectors.current_models(request.user)
            .filter(owner=member)
            .order_by("-created_at", "-id")[:6]
        ),
        "viewer_level": gallery_selectors.viewer_level(request.user),
        "can_follow": following_permissions.can_follow(request.user, member),
        "is_following": following_selectors.is_following(follower=request.user, member=member),
        "follower_count": following_selectors.follower_count(member=member),
        "challenge_wins": challenge_wins(member),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.update_profile(user=user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("edit_profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "bio": user.bio,
                "links": "\n".join(user.links),
                "skills": ", ".join(user.skills),
                "interests": ", ".join(user.interests),
            }
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "accounts/edit_profile.html",
        {"form": form, "avatar_form": AvatarForm()},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            services.update_preferences(user=user, **form.cleaned_data)
            if user.language:
                translation.activate(user.language)
            messages.success(request, _("Your preferences were saved."))
            response = redirect("edit_preferences")
            return response
    else:
        form = PreferencesForm(initial={"language": user.language, "timezone": user.timezone})
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "accounts/edit_preferences.html",
        {"form": form, "timezones": PreferencesForm.timezone_choices()},
        status=status,
    )


@login_required
@require_POST
def change_avatar(request: HttpRequest) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.set_avatar(user=request.user, upload=form.cleaned_data["avatar"])
        except ValidationError as exc:
            form.add_error("avatar", exc)
        else:
            messages.success(request, _("Your avatar was updated."))
            return redirect("edit_profile")
    user = request.user
    profile_form = ProfileForm(
        initial={
            "display_name": user.display_name,
            "bio": user.bio,
            "links": "\n".join(user.links),
            "skills": ", ".join(user.skills),
            "interests": ", ".join(user.interests),
        }
    )
    return render(
        request,
        "accounts/edit_profile.html",
        {"form": profile_form, "avatar_form": form},
        status=400,
    )


@login_required
@require_POST
def delete_avatar(request: HttpRequest) -> HttpResponse:
    services.remove_avatar(user=request.user)
    messages.success(request, _("Your avatar was removed."))
    return redirect("edit_profile")


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin signs in through the site's own login page, with its failed-login throttle
    (ACCOUNT_RATE_LIMITS), instead of Django admin's form, which has none."""
    target = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    target = target or reverse("admin:index")
    if request.user.is_authenticated:
        if not permissions.can_use_admin(request.user):
            raise PermissionDenied(_("Only staff may use the administration."))
        return redirect(target)
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")
