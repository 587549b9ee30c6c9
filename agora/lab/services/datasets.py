"""Uploading a data set; the worker checks it (agora.lab.execution.check_dataset)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.limits import check_lengths
from agora.lab import permissions
from agora.lab.models import LabDataset
from agora.lab.tasks import enqueue

TEXT_SUFFIXES = (".txt", ".jsonl")
# The first bytes of compressed or archive formats: a text data set is plain UTF-8, never these.
COMPRESSED_MAGIC = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"7z\xbc\xaf",
    b"\x28\xb5\x2f\xfd",
)


def is_text_upload(filename: str) -> bool:
    return filename.lower().endswith(TEXT_SUFFIXES)


def read_text_upload(*, filename: str, archive) -> list[str]:
    """The documents of an uploaded .txt (one per non-empty line) or .jsonl (one per record),
    refused with a message in the member's language when the file is compressed, not UTF-8,
    binary, empty or has too many documents. Nothing is stored here."""
    from genlab.errors import GenlabError
    from genlab.text import MAX_DOCUMENTS, parse_text

    archive.seek(0)
    raw = archive.read(settings.LAB_MAX_DATASET_BYTES + 1)
    if len(raw) > settings.LAB_MAX_DATASET_BYTES:
        raise ValidationError(
            _("The file is too large (at most %(mb)d MB).")
            % {"mb": settings.LAB_MAX_DATASET_BYTES // 2**20}
        )
    if raw.startswith(COMPRESSED_MAGIC):
        raise ValidationError(
            _("This is a compressed archive, not a text file; upload the .txt or .jsonl itself.")
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The file is not UTF-8 text (byte %(at)d); save it as UTF-8 and upload it again.")
            % {"at": exc.start}
        ) from exc
    if "\x00" in text:
        raise ValidationError(_("The file holds binary data, not text."))
    if not text.strip():
        raise ValidationError(_("The file holds no text."))
    lines = sum(1 for line in text.splitlines() if line.strip())
    if lines > MAX_DOCUMENTS:
        raise ValidationError(
            _("The file has %(n)d documents; at most %(most)d.")
            % {"n": lines, "most": MAX_DOCUMENTS}
        )
    try:
        documents = parse_text(filename, raw)
    except GenlabError as exc:
        raise ValidationError(
            _("The file could not be read as a text data set: %(why)s") % {"why": exc}
        ) from exc
    return documents


def upload_dataset(*, owner: User, name: str, archive) -> LabDataset:
    """A zip of images (checked by the worker) or a .txt / .jsonl text file (checked here: it
    is stored only when it passes)."""
    if not permissions.can_upload_dataset(owner):
        raise PermissionDenied(_("Log in to upload data sets."))
    if LabDataset.objects.filter(owner=owner).count() >= settings.LAB_MAX_DATASETS_PER_MEMBER:
        raise ValidationError(
            _("You have reached your quota of %(n)d data sets; delete one first.")
            % {"n": settings.LAB_MAX_DATASETS_PER_MEMBER}
        )
    if archive.size > settings.LAB_MAX_DATASET_BYTES:
        raise ValidationError(
            _("The archive is too large (at most %(mb)d MB).")
            % {"mb": settings.LAB_MAX_DATASET_BYTES // 2**20}
        )
    name = name.strip()
    if not name:
        raise ValidationError(_("Name the data set."))
    check_lengths(LabDataset, name=name)
    if LabDataset.objects.filter(owner=owner, name=name).exists():
        raise ValidationError(_("You already have a data set with this name."))
    filename = getattr(archive, "name", "") or ""
    if is_text_upload(filename):
        documents = read_text_upload(filename=filename, archive=archive)
        suffix = ".jsonl" if filename.lower().endswith(".jsonl") else ".txt"
        dataset = LabDataset(
            owner=owner,
            name=name,
            kind=LabDataset.Kind.TEXT,
            size_bytes=archive.size,
            status=LabDataset.Status.READY,
            count=len(documents),
            text_preview="\n".join(documents[:3])[:TEXT_PREVIEW_CHARS],
        )
        dataset.full_clean(exclude=["archive", "preview"])  # before any byte is stored
        archive.seek(0)
        dataset.archive.save(f"{secrets.token_hex(8)}{suffix}", archive, save=False)
        dataset.save()
        return dataset
    dataset = LabDataset(owner=owner, name=name, size_bytes=archive.size)
    dataset.archive.save(f"{secrets.token_hex(8)}.zip", archive, save=False)
    dataset.save()
    transaction.on_commit(lambda: enqueue("check_dataset", dataset.id))
    return dataset


TEXT_PREVIEW_CHARS = 600
