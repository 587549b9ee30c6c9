"""Every access rule of the showcase (launches and the partner board)."""

from __future__ import annotations

from agora.core.permissions import is_member, is_owner_or_staff, is_staff


def can_post(user) -> bool:
    """Post a launch or a partner request, upvote, sign up to try: members."""
    return is_member(user)


def is_launch_owner(user, launch) -> bool:
    return is_member(user) and user.pk == launch.owner_id


def can_see_signups(user, launch) -> bool:
    """Who asked to try a launch, with their email (they agreed to share it): the owner only."""
    return is_launch_owner(user, launch)


def is_request_author(user, request_obj) -> bool:
    return is_member(user) and user.pk == request_obj.author_id


def can_close_partner_request(user, request_obj) -> bool:
    return is_owner_or_staff(user, request_obj.author_id)


def can_see_partner_request(user, request_obj, *, expired: bool) -> bool:
    """Open requests for everyone; closed or expired ones for their author and staff."""
    return not expired or is_owner_or_staff(user, request_obj.author_id)


def sees_every_partner_request(user) -> bool:
    return is_staff(user)
