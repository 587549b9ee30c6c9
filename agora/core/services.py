"""Writes of the core app: outgoing email and worker heartbeats."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from agora.core import jobs
from agora.core.models import OutboundEmail, WorkerHeartbeat

logger = logging.getLogger(__name__)


def queue_email(
    *,
    to: list[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutboundEmail:
    """Store an email and hand it to the worker once the surrounding transaction commits."""
    from agora.core.tasks import send_outbound_email

    email = OutboundEmail.objects.create(
        to=list(to),
        subject=subject.replace("\n", " ").strip(),
        body_text=body_text,
        body_html=body_html,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        headers=headers or {},
    )
    jobs.wake_on_commit(send_outbound_email, email.id)
    return email


def deliver_email(*, email_id: int) -> bool:
    """Send one queued email; safe to run twice: only the caller that claims it sends it."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    # A worker killed mid-send leaves its claim behind; the redelivered task takes it over.
    claimed = (
        OutboundEmail.objects.filter(id=email_id)
        .filter(
            Q(status__in=[OutboundEmail.Status.QUEUED, OutboundEmail.Status.FAILED])
            | Q(status=OutboundEmail.Status.SENDING, claimed_at__lt=stale)
        )
        .update(status=OutboundEmail.Status.SENDING, claimed_at=now)
    )
    if not claimed:
        return False
    email = OutboundEmail.objects.get(id=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=email.to,
        headers=email.headers,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        logger.exception("sending email %s to %s failed", email.id, email.to)
        OutboundEmail.objects.filter(id=email.id).update(
            status=OutboundEmail.Status.FAILED, attempts=email.attempts + 1, last_error=str(exc)
        )
        raise
    OutboundEmail.objects.filter(id=email.id).update(
        status=OutboundEmail.Status.SENT, attempts=email.attempts + 1, sent_at=timezone.now()
    )
    return True


EMAIL_SWEEP_MAX_ATTEMPTS = 8  # a failed email is tried again by the sweep until this many


def sweep_emails(*, now: datetime | None = None) -> list[int]:
    """The email kind's sweep (agora/core/jobs.py): queued emails whose wake was lost, emails
    whose worker died mid-send (stale claim), failed ones until EMAIL_SWEEP_MAX_ATTEMPTS."""
    from agora.core.tasks import send_outbound_email

    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    Status = OutboundEmail.Status
    due = (
        Q(status=Status.QUEUED)
        | Q(status=Status.SENDING, claimed_at__lt=stale)
        | Q(status=Status.FAILED, attempts__lt=EMAIL_SWEEP_MAX_ATTEMPTS)
    )
    return jobs.wake_due(OutboundEmail, due, send_outbound_email, now=now)


def email_claim_seconds_left(*, email_id: int) -> float | None:
    """Seconds until another worker's claim on a SENDING email goes stale, or None when nobody
    holds a live claim (sent, failed, queued, or the claim already stale)."""
    email = (
        OutboundEmail.objects.filter(id=email_id, status=OutboundEmail.Status.SENDING)
        .only("claimed_at")
        .first()
    )
    if email is None or email.claimed_at is None:
        return None
    lease_end = email.claimed_at + timedelta(seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    left = (lease_end - timezone.now()).total_seconds()
    return left if left > 0 else None


def record_heartbeat(*, hostname: str, started_at: datetime, queues: str) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname,
        defaults={"last_seen": timezone.now(), "started_at": started_at, "queues": queues[:255]},
    )
