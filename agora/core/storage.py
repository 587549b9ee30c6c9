"""Local file storage that leaves nothing half-written: when a write fails (disk full, quota,
I/O error) the partial file is removed before the error goes on."""

from __future__ import annotations

import contextlib
import errno
import os

from django.core.files.storage import FileSystemStorage

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
