"""Writes of following: follow and unfollow a member."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.following import permissions
from agora.following.models import Follow


def set_following(*, follower: User, member: User, follow: bool) -> bool:
    """Follow or stop following `member`; returns whether `follower` follows them afterwards.
    Asking twice changes nothing."""
    if not permissions.can_follow(follower, member):
        raise PermissionDenied(_("You cannot follow this member."))
    if not follow:
        Follow.objects.filter(follower=follower, followed=member).delete()
        return False
    try:
        with transaction.atomic():
            row = Follow(follower=follower, followed=member)
            row.full_clean(validate_unique=False, validate_constraints=False)
            row.save()
    except IntegrityError:
        pass  # already following
    return True
