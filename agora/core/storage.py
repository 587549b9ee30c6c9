"""Where uploaded files live. Locally (the embedded default) a write that fails (disk full, quota,
I/O error) leaves no partial file. On S3-compatible storage every file's address is still
Agora's `/media/<path>`: the media view checks who may see it, then redirects to a signed,
short-lived address of the object (agora/core/views.py), so private files stay private."""

from __future__ import annotations

import contextlib
import errno
import os
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageFull(OSError):
    """Raised instead of the raw OSError so the error page can say what happened."""


class SafeFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content) -> str:
        full_path = self.path(name)
        existed = os.path.exists(full_path)
        try:
            return super()._save(name, content)
        except OSError as exc:
            if not existed:
                with contextlib.suppress(OSError):
                    os.remove(full_path)
            if exc.errno in DISK_FULL:
                raise StorageFull(exc.errno, "no space left to store the file") from exc
            raise


class CheckedS3Storage(S3Storage):
    """django-storages' S3 backend whose `url()` is Agora's checked `/media/` address; the
    object's own signed address comes from `signed_url()`, after the check."""

    def url(self, name, parameters=None, expire=None, http_method=None) -> str:
        return settings.MEDIA_URL + quote(name.lstrip("/"))

    def signed_url(self, name: str) -> str:
        return super().url(name, expire=settings.S3_SIGNED_URL_SECONDS)
