"""Every access rule of the gallery: views, the API, services, media and search ask here."""

from __future__ import annotations

from django.db.models import Q

from agora.core.permissions import is_member, is_owner_or_staff, is_staff


def can_see_work(user, work) -> bool:
    return not work.private or is_owner_or_staff(user, work.author_id)


def can_edit_work(user, work) -> bool:
    return is_owner_or_staff(user, work.author_id)


def can_take_part(user) -> bool:
    """Share works, react, comment and collect: members."""
    return is_member(user)


def listed(viewer) -> Q:
    """Which works a list shows the viewer: public ones and their own private ones."""
    if is_member(viewer):
        return Q(private=False) | Q(author=viewer)
    return Q(private=False)


def can_share_to_forum(user, work) -> bool:
    """A public work, shared by any member who can see it (into their composer)."""
    return is_member(user) and not work.private


def can_see_recipe(user, work) -> bool:
    """A hidden recipe (prompt, sampler, model...) is its author's and staff's alone: the page,
    cards, search and the model filter all ask this."""
    return not work.recipe_hidden or can_edit_work(user, work)


def recipe_shown(viewer) -> Q:
    """can_see_recipe as a filter: works whose recipe (and model name) the viewer may see."""
    if is_staff(viewer):
        return Q()
    if is_member(viewer):
        return Q(recipe_hidden=False) | Q(author=viewer)
    return Q(recipe_hidden=False)
