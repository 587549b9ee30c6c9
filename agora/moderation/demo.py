"""Trust levels for the demo members, computed from the demo activity; alice is a regular."""

from __future__ import annotations

from agora.accounts.models import User
from agora.moderation.models import CommunitySettings, MemberStats
from agora.moderation.services import refresh_stats


def seed(*, out) -> None:
    CommunitySettings.current()
    for user_id in User.objects.filter(is_active=True).values_list("id", flat=True):
        refresh_stats(user_id=user_id)
    MemberStats.objects.filter(user__username="alice").update(
        trust_level=3, trust_level_locked=True
    )
