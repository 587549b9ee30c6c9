"""The building blocks every app's permissions.py uses; the rules themselves live in the apps."""

from __future__ import annotations


def is_member(user) -> bool:
    """A logged-in member (not anonymous, not missing)."""
    return bool(user is not None and user.is_authenticated)


def is_staff(user) -> bool:
    return is_member(user) and bool(user.is_staff)


def is_owner_or_staff(user, owner_id: int | None) -> bool:
    """The owner of a thing (by its owner's id), or a staff member."""
    return is_member(user) and (user.pk == owner_id or bool(user.is_staff))
