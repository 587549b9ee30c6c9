"""Who may follow whom: members follow other members, never themselves."""

from __future__ import annotations

from agora.core.permissions import is_member


def can_follow(user, member) -> bool:
    return is_member(user) and member is not None and user.pk != member.pk
