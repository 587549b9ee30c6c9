"""Who may fetch an uploaded file. Media of things that can be private — gallery works, lab runs,
generations, models, uploaded data sets, forum uploads — are only served to whoever may see the
thing itself; the rest (avatars, launch screenshots, built-in data set previews) is public and
answered without a query.

`media_visibility(user, path)` answers "public" (anyone, cacheable), "private" (this viewer may,
do not let shared caches keep it) or None (not found, as far as this viewer is concerned)."""

from __future__ import annotations

import re
from typing import Literal

from django.db.models import Q

Visibility = Literal["public", "private"] | None

PROTECTED_PREFIXES = ("works/", "lab/", "uploads/")

_WORK = re.compile(r"^works/(?P<author>\d+)/[^/]+$")
_RUN_SAMPLE = re.compile(r"^lab/runs/(?P<run>\d+)/[^/]+$")
_GENERATION = re.compile(r"^lab/generations/(?P<generation>\d+)/[^/]+$")
_BUILTIN_PREVIEW = re.compile(r"^lab/datasets/preview-builtin-[\w.-]+\.png$")
_DATASET = re.compile(r"^lab/datasets/[^/]+$")
_CHECKPOINT = re.compile(r"^lab/models/[^/]+$")
_FORUM_UPLOAD = re.compile(r"^uploads/(?P<user>\d+)/[^/]+$")


def _owner_or_staff(user, owner_id: int) -> bool:
    return bool(
        user is not None and user.is_authenticated and (user.pk == owner_id or user.is_staff)
    )


def _verdict(is_private: bool, allowed: bool) -> Visibility:
    if not is_private:
        return "public"
    return "private" if allowed else None


def media_visibility(user, path: str) -> Visibility:
    if not path.startswith(PROTECTED_PREFIXES):
        return "public"
    if match := _WORK.match(path):
        from agora.gallery.models import Work

        row = (
            Work.objects.filter(author_id=int(match["author"]))
            .filter(Q(image=path) | Q(thumbnail=path))
            .values_list("private", "author_id")
            .first()
        )
        return None if row is None else _verdict(row[0], _owner_or_staff(user, row[1]))
    if match := _RUN_SAMPLE.match(path):
        from agora.lab.models import TrainingRun

        row = (
            TrainingRun.objects.filter(pk=int(match["run"]))
            .values_list("private", "owner_id")
            .first()
        )
        return None if row is None else _verdict(row[0], _owner_or_staff(user, row[1]))
    if match := _GENERATION.match(path):
        from agora.lab.models import Generation

        row = (
            Generation.objects.filter(pk=int(match["generation"]))
            .values_list("model__private", "model__owner_id")
            .first()
        )
        return None if row is None else _verdict(row[0], _owner_or_staff(user, row[1]))
    if _BUILTIN_PREVIEW.match(path):
        return "public"
    if _DATASET.match(path):
        from agora.lab.models import LabDataset

        # A member's data set (archive and preview) is theirs alone, like the data sets page.
        owner = (
            LabDataset.objects.filter(Q(archive=path) | Q(preview=path))
            .values_list("owner_id", flat=True)
            .first()
        )
        return None if owner is None else _verdict(True, _owner_or_staff(user, owner))
    if _CHECKPOINT.match(path):
        from agora.lab.models import LabModel

        row = LabModel.objects.filter(checkpoint=path).values_list("private", "owner_id").first()
        return None if row is None else _verdict(row[0], _owner_or_staff(user, row[1]))
    if match := _FORUM_UPLOAD.match(path):
        return _forum_upload_visibility(user, path, int(match["user"]))
    return None  # nothing else lives under the protected folders


def _forum_upload_visibility(user, path: str, uploader_id: int) -> Visibility:
    """A composer image: its uploader and staff always; others when a non-deleted post using it
    (PostUpload) is one they may see, by the forum's own rules (CategoryAccess for categories,
    participants for messages). An image no post uses yet is a draft: uploader and staff only.
    One query on the upload's file index (plus the viewer's category access)."""
    from django.db.models import Exists, OuterRef

    from agora.forum import permissions
    from agora.forum.models import PostUpload, Upload

    uploads = Upload.objects.filter(user_id=uploader_id, file=path)
    if _owner_or_staff(user, uploader_id):
        return "private" if uploads.exists() else None
    access = permissions.category_access_for(user)
    seen = Q(post__topic__is_private=False, post__topic__category_id__in=access.visible_ids())
    if user is not None and user.is_authenticated:
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
    return "public" if user is None or not user.is_authenticated else "private"
