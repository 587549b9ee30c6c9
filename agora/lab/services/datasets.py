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


def upload_dataset(*, owner: User, name: str, archive) -> LabDataset:
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
    dataset = LabDataset(owner=owner, name=name, size_bytes=archive.size)
    dataset.archive.save(f"{secrets.token_hex(8)}.zip", archive, save=False)
    dataset.save()
    transaction.on_commit(lambda: enqueue("check_dataset", dataset.id))
    return dataset
