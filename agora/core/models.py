from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """An email queued for the worker; kept until sent so a crash or a broker outage loses none."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    to = models.JSONField(default=list)
    subject = models.CharField(max_length=998)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    from_email = models.CharField(max_length=254)
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker took it; a claim older than EMAIL_SEND_LEASE_SECONDS belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the sweep last woke a worker for it (agora/core/jobs.py)
    woken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="email_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed"]),
                name="email_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"


class Job(models.Model):
    """A side effect a committed write still owes that has no row of its own: the notifications of
    a new post, a search document, a member's trust level, a waiting-list email. Written in the
    write's transaction, run by a worker, deleted when done (agora/core/jobs.py)."""

    task = models.CharField(max_length=200)  # a registered Celery task's name
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    # A worker's lease: a claim older than JOB_LEASE_SECONDS belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    woken_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="job_created")]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} (attempts: {self.attempts})"


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker said it was alive; /healthz reads the freshest."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField()
    queues = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"
