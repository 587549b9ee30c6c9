"""Signals the learn app listens to: a deleted gallery work takes the lesson figures drawn from
it along, whoever deleted it (its author's account, staff, a cascade), once the delete commits."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete


def _work_deleted(sender, instance, **kwargs) -> None:
    from agora.learn import widget_services

    work_id = instance.pk
    transaction.on_commit(lambda: widget_services.forget_work(work_id=work_id))


post_delete.connect(_work_deleted, sender="gallery.Work", dispatch_uid="learn:work-deleted")
