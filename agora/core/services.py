"""Writes of the core app: outgoing email and worker heartbeats."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from agora.core import jobs
from agora.core.models import OutboundEmail, WorkerHeartbeat
from agora.core.text import header_safe

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
    """Store an email and hand it to the worker once the surrounding transaction commits. Every
    email Agora sends is machine-made (RFC 3834 Auto-Submitted: no auto-replies to it), and no
    header value can carry a line break (a title with CR/LF cannot add a header)."""
    from agora.core.tasks import send_outbound_email

    email = OutboundEmail.objects.create(
        to=[header_safe(address) for address in to],
        subject=header_safe(subject),
        body_text=body_text,
        body_html=body_html,
        from_email=header_safe(from_email or settings.DEFAULT_FROM_EMAIL),
        headers=_safe_headers({"Auto-Submitted": "auto-generated", **(headers or {})}),
    )
    jobs.wake_on_commit(send_outbound_email, email.id)
    return email


def _safe_headers(headers: dict[str, str]) -> dict[str, str]:
    return {header_safe(name): header_safe(str(value)) for name, value in headers.items()}


def language_of(member) -> str:
    """The language a member reads Agora in (their saved setting, else the site default)."""
    return getattr(member, "language", "") or settings.LANGUAGE_CODE


def queue_member_email(
    *, member, subject: str, template: str, context: dict, unsubscribe_url: str = ""
) -> OutboundEmail:
    """An email to one member in their language, with a text part (`<template>.txt`) and an
    HTML part (`<template>.html`). `unsubscribe_url` adds List-Unsubscribe with one-click
    unsubscribe (RFC 8058): mail clients POST to it, without login, to stop this kind of email."""
    with translation.override(language_of(member)):
        context = {
            "member": member,
            "site_url": settings.AGORA_SITE_URL,
            "unsubscribe_url": unsubscribe_url,
            "subject": subject,
            **context,
        }
        body_text = render_to_string(f"{template}.txt", context)
        body_html = render_to_string(f"{template}.html", context)
    headers = {}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return queue_email(
        to=[member.email],
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        headers=headers,
    )


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
    # Rows queued before headers were made safe must not fail for good on a stray CR/LF.
    message = EmailMultiAlternatives(
        subject=header_safe(email.subject),
        body=email.body_text,
        from_email=header_safe(email.from_email),
        to=[header_safe(address) for address in email.to],
        headers=_safe_headers(email.headers),
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
