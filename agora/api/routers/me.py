"""The caller's own things: profile, preferences, avatar, email settings, notifications,
bookmarks and composer drafts, through the accounts, notifications, gallery and forum services
the settings pages use."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router
from ninja.files import UploadedFile

from agora.accounts import services as account_services
from agora.accounts.forms import ProfileForm
from agora.api.auth import require
from agora.api.errors import ERRORS
from agora.api.routers.forum import post_out
from agora.api.schemas import (
    BookmarkItemOut,
    DraftIn,
    DraftOut,
    EmailSettingsIn,
    EmailSettingsOut,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    ProfileIn,
    ProfileOut,
    ReadAllOut,
    member_ref,
    page_of,
)
from agora.forum import permissions as forum_permissions
from agora.forum import selectors as forum_selectors
from agora.forum import services as forum_services
from agora.forum.models import Draft
from agora.gallery import selectors as gallery_selectors
from agora.gallery import services as gallery_services
from agora.notifications import selectors as notification_selectors
from agora.notifications import services as notification_services
from agora.notifications.models import Notification

router = Router(tags=["me"])
BookmarkPage = page_of(BookmarkItemOut)
DraftPage = page_of(DraftOut)


def profile_out(user) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "bio": user.bio,
        "links": list(user.links or []),
        "skills": list(user.skills or []),
        "interests": list(user.interests or []),
        "avatar_url": user.avatar.url if user.avatar else None,
        "language": user.language,
        "timezone": user.timezone,
        "gallery_max_nsfw": gallery_selectors.viewer_level(user),
    }


@router.get("/me/profile", response={200: ProfileOut, **ERRORS})
def get_profile(request: HttpRequest):
    """Your profile and preferences, as on the settings pages."""
    return profile_out(require(request, "read"))


@router.patch("/me/profile", response={200: ProfileOut, **ERRORS})
def edit_profile(request: HttpRequest, payload: ProfileIn):
    """Change your display name, bio, links, skills or interests (the profile page's rules)."""
    user = require(request, "write")
    given = payload.model_dump(exclude_none=True)
    data = {
        "display_name": given.get("display_name", user.display_name),
        "bio": given.get("bio", user.bio),
        "links": "\n".join(given.get("links", user.links or [])),
        "skills": ", ".join(given.get("skills", user.skills or [])),
        "interests": ", ".join(given.get("interests", user.interests or [])),
    }
    form = ProfileForm(data)
    if not form.is_valid():
        raise ValidationError({field: list(errors) for field, errors in form.errors.items()})
    account_services.update_profile(user=user, **form.cleaned_data)
    return profile_out(user)


@router.patch("/me/preferences", response={200: ProfileOut, **ERRORS})
def edit_preferences(request: HttpRequest, payload: PreferencesIn):
    """Language, time zone and the gallery's content level; fields left out stay."""
    user = require(request, "write")
    with transaction.atomic():  # all or nothing
        account_services.update_preferences(
            user=user,
            language=payload.language,
            timezone=payload.timezone.strip() if payload.timezone is not None else None,
        )
        if payload.gallery_max_nsfw is not None:
            try:
                gallery_services.set_viewer_level(user=user, level=payload.gallery_max_nsfw)
            except ValidationError as exc:
                raise ValidationError({"gallery_max_nsfw": exc.messages}) from None
    return profile_out(user)


@router.post("/me/avatar", response={200: ProfileOut, **ERRORS})
def change_avatar(request: HttpRequest, avatar: File[UploadedFile]):
    """Upload a new avatar (multipart field `avatar`): checked and re-encoded as on the profile
    page; the old one is removed."""
    user = require(request, "write")
    try:
        account_services.set_avatar(user=user, upload=avatar)
    except ValidationError as exc:
        raise ValidationError({"avatar": exc.messages}) from None
    return profile_out(user)


@router.delete("/me/avatar", response={200: ProfileOut, **ERRORS})
def remove_avatar(request: HttpRequest):
    user = require(request, "write")
    account_services.remove_avatar(user=user)
    return profile_out(user)


def _email_settings_out(settings) -> dict:
    return {
        "email_on_mention": settings.email_on_mention,
        "email_on_reply": settings.email_on_reply,
        "email_on_private_message": settings.email_on_private_message,
        "email_on_challenges": settings.email_on_challenges,
    }


@router.get("/me/email-settings", response={200: EmailSettingsOut, **ERRORS})
def get_email_settings(request: HttpRequest):
    """Which notifications also come by email."""
    user = require(request, "read")
    return _email_settings_out(notification_services.settings_for(user))


@router.patch("/me/email-settings", response={200: EmailSettingsOut, **ERRORS})
def edit_email_settings(request: HttpRequest, payload: EmailSettingsIn):
    user = require(request, "write")
    current = _email_settings_out(notification_services.settings_for(user))
    wanted = {**current, **payload.model_dump(exclude_none=True)}
    return _email_settings_out(notification_services.update_settings(user=user, **wanted))


def notification_out(notification: Notification) -> dict:
    post = notification.post
    return {
        "id": notification.id,
        "kind": notification.kind,
        "actor": member_ref(notification.actor) if notification.actor else None,
        "topic_id": notification.topic_id,
        "topic_title": notification.title,
        "challenge_id": notification.challenge_id,
        "contest_id": notification.contest_id,
        "post_id": notification.post_id,
        "post_number": post.number if post else None,
        "read": notification.read_at is not None,
        "created_at": notification.created_at,
        "url": notification.target_url(),
    }


@router.get("/notifications", response={200: NotificationPage, **ERRORS})
def list_notifications(request: HttpRequest, cursor: str | None = None):
    """Your notifications, newest first (30 a page), leaving out what you can no longer see."""
    user = require(request, "read")
    page = notification_selectors.notifications_for(user=user, cursor=cursor)
    return {
        "items": [notification_out(n) for n in page.notifications],
        "next_cursor": page.next_cursor,
        "unread_count": notification_selectors.unread_count(user=user),
    }


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS})
def mark_read(request: HttpRequest, notification_id: int):
    user = require(request, "write")
    try:
        notification = notification_services.mark_read(
            user=user, notification_id=notification_id if 0 < notification_id < 2**31 else 0
        )
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    return notification_out(notification)


@router.post("/notifications/read-all", response={200: ReadAllOut, **ERRORS})
def mark_all_read(request: HttpRequest):
    user = require(request, "write")
    return {"marked": notification_services.mark_all_read(user=user)}


@router.get("/bookmarks", response={200: BookmarkPage, **ERRORS})
def list_bookmarks(request: HttpRequest, cursor: str | None = None):
    """Your bookmarked posts that you can still see, newest bookmark first; 30 a page."""
    user = require(request, "read")
    access = forum_permissions.get_access(request)
    rows, next_cursor = forum_selectors.member_bookmarks(viewer=user, access=access, cursor=cursor)
    return {
        "items": [
            {"post": post_out(b.post, user), "topic_title": b.post.topic.title} for b in rows
        ],
        "next_cursor": next_cursor,
    }


def _draft_out(key: str, draft: Draft | None) -> dict:
    if draft is None:
        return {"key": key, "title": "", "raw": "", "updated_at": None}
    return {
        "key": draft.key,
        "title": draft.title,
        "raw": draft.raw,
        "updated_at": draft.updated_at,
    }


@router.get("/drafts", response={200: DraftPage, **ERRORS})
def list_drafts(request: HttpRequest, cursor: str | None = None):
    """Your composer drafts, latest first; 30 a page."""
    user = require(request, "read")
    rows, next_cursor = forum_selectors.member_drafts(viewer=user, cursor=cursor)
    return {"items": [_draft_out(d.key, d) for d in rows], "next_cursor": next_cursor}


def _draft_key(key: str) -> str:
    if not forum_services.DRAFT_KEY.fullmatch(key):
        raise Http404(_("Unknown draft."))
    return key


@router.get("/drafts/{key}", response={200: DraftOut, **ERRORS})
def get_draft(request: HttpRequest, key: str):
    """The draft under `key` (`new-topic` or `reply-<topic id>`); empty when none is saved."""
    user = require(request, "read")
    key = _draft_key(key)
    return _draft_out(key, Draft.objects.filter(user=user, key=key).first())


@router.put("/drafts/{key}", response={200: DraftOut, **ERRORS})
def save_draft(request: HttpRequest, key: str, payload: DraftIn):
    """Save what you are writing, as the composer does every few seconds."""
    user = require(request, "write")
    key = _draft_key(key)
    forum_services.save_draft(user=user, key=key, raw=payload.raw, title=payload.title)
    return _draft_out(key, Draft.objects.filter(user=user, key=key).first())


@router.delete("/drafts/{key}", response={200: DraftOut, **ERRORS})
def delete_draft(request: HttpRequest, key: str):
    user = require(request, "write")
    key = _draft_key(key)
    forum_services.discard_draft(user=user, key=key)
    return _draft_out(key, None)
