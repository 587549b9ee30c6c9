"""Every access rule about members' accounts and profiles."""

from __future__ import annotations

from agora.core.permissions import is_member, is_staff


def can_see_inactive_members(viewer) -> bool:
    return is_staff(viewer)


def can_edit_profile(viewer, member) -> bool:
    return is_member(viewer) and viewer.pk == member.pk


def can_use_admin(user) -> bool:
    return is_staff(user)


def can_delete_member(actor, member) -> bool:
    """Staff delete members (never themselves, so the site keeps an administrator)."""
    return is_staff(actor) and actor.pk != member.pk
