from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.paging import keyset_page
from agora.showcase import permissions
from agora.showcase.models import Launch, PartnerRequest, TrySignup

PER_PAGE = 30


def launch_board(
    *, period: str, cursor: str | None = None, limit: int = PER_PAGE
) -> tuple[list[Launch], str | None]:
    """Daily and weekly boards: a page of the launches of the period, most upvoted first, and
    the cursor of the next page."""
    span = timedelta(days=1) if period == "day" else timedelta(weeks=1)
    return keyset_page(
        Launch.objects.filter(launched_at__gte=timezone.now() - span).select_related("owner"),
        key="vote_count",
        cursor=cursor,
        limit=limit,
        number=True,
    )


def get_launch(*, launch_id: int) -> Launch:
    launch = (
        Launch.objects.select_related("owner", "topic")
        .annotate(signup_count=Count("signups"))
        .filter(pk=launch_id)
        .first()
    )
    if launch is None:
        raise Http404("No such launch")
    return launch


def open_requests_page(
    *, role: str = "", cursor: str | None = None, limit: int = PER_PAGE
) -> tuple[list[PartnerRequest], str | None]:
    """A page of the open partner requests (of a role, if one is named), newest first, and the
    cursor of the next page."""
    rows = open_requests()
    if role in PartnerRequest.Role.values:
        rows = rows.filter(role=role)
    return keyset_page(rows, key="created_at", cursor=cursor, limit=limit)


def open_requests():
    return PartnerRequest.objects.filter(
        closed=False, expires_at__gt=timezone.now()
    ).select_related("author")


def get_request(*, request_id: int, viewer) -> PartnerRequest:
    obj = PartnerRequest.objects.select_related("author").filter(pk=request_id).first()
    if obj is None:
        raise Http404("No such request")
    expired = obj.closed or obj.expires_at <= timezone.now()
    if not permissions.can_see_partner_request(viewer, obj, expired=expired):
        raise Http404("This request has expired")
    return obj


def matching_members(*, request_obj: PartnerRequest, limit: int = 8) -> list[User]:
    """Members whose profile skills share the most with the skills wanted."""
    wanted = set(request_obj.skills)
    if not wanted:
        return []
    candidates = (
        User.objects.filter(is_active=True)
        .exclude(pk=request_obj.author_id)
        .exclude(skills=[])
        .only("id", "username", "display_name", "skills", "avatar")
    )
    scored = []
    for member in candidates.iterator(chunk_size=500):
        overlap = len(wanted & set(member.skills or []))
        if overlap:
            scored.append((overlap, member.username, member))
    scored.sort(key=lambda row: (-row[0], row[1]))
    return [member for _, _, member in scored[:limit]]


def suggested_requests(*, member: User, limit: int = 5) -> list[PartnerRequest]:
    """Open requests wanting skills the member has, for their dashboard."""
    mine = set(member.skills or [])
    if not mine:
        return []
    rows = [r for r in open_requests().exclude(author=member)[:500] if mine & set(r.skills)]
    rows.sort(key=lambda r: -len(mine & set(r.skills)))
    return rows[:limit]


def signups_for_owner(*, user, launch: Launch) -> list[TrySignup]:
    """Who asked to try a launch (with their email, which they agreed to share): the owner
    only."""
    if not permissions.can_see_signups(user, launch):
        raise PermissionDenied(_("Only the owner can export sign-ups."))
    return list(
        TrySignup.objects.filter(launch=launch).select_related("user").order_by("created_at")
    )
