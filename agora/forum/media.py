"""The forum's private files: composer uploads, served by the forum's own visibility rules."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from agora.core.media_access import Visibility, register_media
from agora.core.permissions import is_member, is_owner_or_staff
from agora.forum import permissions
from agora.forum.models import PostUpload, Upload


def composer_upload(user, path: str, match) -> Visibility:
    """A composer image: its uploader and staff always; others when a non-deleted post using it
    (PostUpload) is one they may see, by the forum's own rules (CategoryAccess for categories,
    participants for messages). An image no post uses yet is a draft: uploader and staff only.
    One query on the upload's file index (plus the viewer's category access)."""
    uploader_id = int(match["user"])
    uploads = Upload.objects.filter(user_id=uploader_id, file=path)
    if is_owner_or_staff(user, uploader_id):
        return "private" if uploads.exists() else None
    access = permissions.category_access_for(user)
    seen = Q(post__topic__is_private=False, post__topic__category_id__in=access.visible_ids())
    if is_member(user):
        seen |= Q(post__topic__is_private=True, post__topic__participants=user.pk)
    uses = PostUpload.objects.filter(
        seen,
        upload=OuterRef("pk"),
        post__deleted_at__isnull=True,
        post__topic__deleted_at__isnull=True,
    )
    if not uploads.filter(Exists(uses)).exists():
        return None
    # Anonymous viewers get it only through public topics: shared caches may keep it (revalidated,
    # since the post may move or be edited); a member's answer is theirs alone.
    return "private" if is_member(user) else "public"


register_media("uploads/", r"uploads/(?P<user>\d+)/[^/]+", composer_upload)
