"""Every access rule of the lab: views, the API, services, media and templates ask here."""

from __future__ import annotations

from django.db.models import Q

from agora.core.permissions import is_member, is_owner_or_staff


def can_train(user) -> bool:
    return is_member(user)


def can_upload_dataset(user) -> bool:
    return is_member(user)


def can_see_dataset(user, dataset) -> bool:
    """An uploaded data set is its owner's alone (and staff's), like the data sets page."""
    return is_owner_or_staff(user, dataset.owner_id)


def can_see_run(user, run) -> bool:
    return not run.private or is_owner_or_staff(user, run.owner_id)


def can_manage_run(user, run) -> bool:
    return is_owner_or_staff(user, run.owner_id)


def can_see_model(user, model) -> bool:
    return not model.private or is_owner_or_staff(user, model.owner_id)


def can_generate(user, model) -> bool:
    return is_member(user) and can_see_model(user, model)


def can_star(user) -> bool:
    return is_member(user)


def can_share_run(user, run) -> bool:
    """Like a gallery work: a finished public run, shared by any member who can see it."""
    return is_member(user) and not run.private and run.status == run.Status.COMPLETED


def can_share_generation(user, generation) -> bool:
    return is_member(user) and generation.owner_id == user.pk


def can_fine_tune(user, model) -> bool:
    """Any model the member may see can be the start of their run: an image, point or text
    model (genlab.finetune)."""
    return can_train(user) and can_see_model(user, model)


def listed(user, prefix: str = "") -> Q:
    """Which runs and models a list shows the viewer: public ones and their own private ones
    (`prefix`: the same rule through a relation, e.g. "fine_tunes__")."""
    if is_member(user):
        return Q(**{f"{prefix}private": False}) | Q(**{f"{prefix}owner": user})
    return Q(**{f"{prefix}private": False})
