"""Reads of members and the access rules that go with them."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from agora.accounts import permissions
from agora.accounts.models import User


def public_members() -> QuerySet[User]:
    return User.objects.filter(is_active=True)


def newest_members(*, limit: int = 12) -> list[User]:
    return list(public_members().order_by("-date_joined")[:limit])


def members_page(*, before: int | None = None, limit: int = 24) -> tuple[list[User], int | None]:
    """One page of active members, newest first, keyed by id so deep pages cost the same."""
    queryset = public_members().order_by("-id")
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset[: limit + 1])
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def get_profile_for_viewer(*, username: str, viewer: User | None) -> User:
    """A public profile: any active member's, visible to everyone; inactive ones only to staff."""
    queryset = User.objects.all()
    if not permissions.can_see_inactive_members(viewer):
        queryset = queryset.filter(is_active=True)
    try:
        return queryset.get(username=username)
    except User.DoesNotExist as exc:
        raise Http404("No such member") from exc


def suggest_members(*, prefix: str, limit: int = 8) -> list[User]:
    """For @mention autocomplete: active members whose username or display name starts so."""
    from django.db.models import Q

    prefix = prefix.strip().lstrip("@")[:40]
    if not prefix:
        return []
    return list(
        public_members()
        .filter(Q(username__istartswith=prefix) | Q(display_name__istartswith=prefix))
        .order_by("username")[:limit]
    )
