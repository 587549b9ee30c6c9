"""Writes of members' profiles and preferences. Each validates, then saves in one transaction."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from agora.accounts import permissions
from agora.accounts.avatars import process_avatar
from agora.accounts.models import User
from agora.core.timezones import is_valid_timezone

logger = logging.getLogger(__name__)


@transaction.atomic
def update_profile(
    *,
    user: User,
    display_name: str,
    bio: str,
    links: list[str],
    skills: list[str],
    interests: list[str],
) -> User:
    user.display_name = display_name.strip()
    user.bio = bio.strip()
    user.links = links
    user.skills = skills
    user.interests = interests
    user.full_clean(exclude=["password", "avatar"])
    user.save(update_fields=["display_name", "bio", "links", "skills", "interests"])
    return user


@transaction.atomic
def update_preferences(
    *, user: User, language: str | None = None, timezone: str | None = None
) -> User:
    fields: list[str] = []
    if language is not None:
        if language and language not in dict(settings.LANGUAGES):
            raise ValidationError(
                {"language": _("Unknown language code: %(code)s") % {"code": language}}
            )
        user.language = language
        fields.append("language")
    if timezone is not None:
        if timezone and not is_valid_timezone(timezone):
            raise ValidationError(
                {"timezone": _("Unknown time zone: %(name)s") % {"name": timezone}}
            )
        user.timezone = timezone
        fields.append("timezone")
    if fields:
        user.save(update_fields=fields)
    return user


def set_avatar(*, user: User, upload: UploadedFile) -> User:
    """Replace the avatar; the old file is removed only after the new one is committed."""
    content = process_avatar(upload)  # raises ValidationError before anything changes
    old_name = user.avatar.name if user.avatar else ""
    with transaction.atomic():
        user.avatar.save(content.name, content, save=False)
        user.save(update_fields=["avatar"])
        if old_name:
            storage = user.avatar.storage
            transaction.on_commit(lambda: _delete_file(storage, old_name))
    return user


def remove_avatar(*, user: User) -> User:
    if not user.avatar:
        return user
    old_name = user.avatar.name
    storage = user.avatar.storage
    with transaction.atomic():
        user.avatar = ""
        user.save(update_fields=["avatar"])
        transaction.on_commit(lambda: _delete_file(storage, old_name))
    return user


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.exception("could not delete old avatar %s", name)


@transaction.atomic
def delete_member(*, actor: User, member: User) -> None:
    """Delete a member and everything that is theirs. What they added to others' things goes
    first: likes, reactions, upvotes and stars leave the counts, and their seats at upcoming
    events go to the waiting list."""
    from agora.events.services import give_up_seats
    from agora.forum.services import withdraw_likes
    from agora.gallery.services import withdraw_reactions
    from agora.lab.services.publishing import withdraw_stars
    from agora.showcase.services import withdraw_upvotes

    if not permissions.can_delete_member(actor, member):
        raise PermissionDenied(_("Only staff can delete members, and not themselves."))
    withdraw_likes(user=member)
    withdraw_reactions(user=member)
    withdraw_upvotes(user=member)
    withdraw_stars(user=member)
    give_up_seats(user=member)
    member.delete()
