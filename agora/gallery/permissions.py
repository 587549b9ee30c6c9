"""Every access rule of the gallery: views, the API, services, media and search ask here."""

from __future__ import annotations

from agora.core.permissions import is_owner_or_staff


def can_see_work(user, work) -> bool:
    return not work.private or is_owner_or_staff(user, work.author_id)


def can_edit_work(user, work) -> bool:
    return is_owner_or_staff(user, work.author_id)
