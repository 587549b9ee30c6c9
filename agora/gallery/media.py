"""The gallery's private files: a work's image and thumbnail are served to whoever may see the
work (permissions.can_see_work)."""

from __future__ import annotations

from django.db.models import Q

from agora.core.media_access import register_media, verdict
from agora.gallery import permissions
from agora.gallery.models import Work


def work_file(user, path, match):
    work = (
        Work.objects.filter(author_id=int(match["author"]))
        .filter(Q(image=path) | Q(thumbnail=path) | Q(thumbnail_small=path))
        .only("private", "author_id")
        .first()
    )
    return None if work is None else verdict(work.private, permissions.can_see_work(user, work))


register_media("works/", r"works/(?P<author>\d+)/[^/]+", work_file)


def kept_upload_file(user, path, match):
    """A file kept across a form correction (services.keep_upload) may be a private work not
    saved yet: it is read only by the server, never served, to anyone."""
    return None


register_media("tmp/", r"tmp/.+", kept_upload_file)
