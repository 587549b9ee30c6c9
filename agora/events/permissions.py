"""Who may do what with events."""

from __future__ import annotations

from agora.core.permissions import is_member, is_owner_or_staff, is_staff
from agora.forum import permissions as forum_permissions
from agora.forum.models import Access, Category


def can_create_event(user) -> bool:
    """Members who may start topics in the Events category; staff always."""
    if not is_member(user):
        return False
    if is_staff(user):
        return True
    category = Category.objects.filter(slug="events").first()
    if category is None:
        return False
    access = forum_permissions.category_access_for(user)
    return access.level(category.id) >= Access.CREATE


def can_manage_event(user, event) -> bool:
    return is_owner_or_staff(user, event.organizer_id)


def can_see_online_link(user, event, my_rsvp) -> bool:
    from agora.events.models import RSVP

    if can_manage_event(user, event):
        return True
    return my_rsvp is not None and my_rsvp.status == RSVP.Status.GOING


def can_rsvp(user) -> bool:
    return is_member(user)
