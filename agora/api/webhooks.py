"""Outgoing webhooks: endpoints staff register, signed deliveries, a log of every attempt.

Signature: `X-Agora-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`
(docs/api.md shows how to verify it)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.api import permissions
from agora.api.models import WEBHOOK_EVENTS, WebhookDelivery, WebhookEndpoint
from agora.core import jobs
from agora.core.limits import check_lengths

logger = logging.getLogger(__name__)
EVENT_NAMES = [name for name, _label in WEBHOOK_EVENTS]
MAX_ATTEMPTS = 6
TIMEOUT_S = 10
EXCERPT = 1000


def allow_private_addresses() -> bool:
    """Loopback and private targets are refused in production (SSRF); allowed in development."""
    return getattr(settings, "API_WEBHOOK_ALLOW_PRIVATE", not settings.PRODUCTION)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, tolerance_s: int = 300) -> bool:
    """What a receiver does (docs/api.md has the same few lines)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def check_url(url: str) -> str:
    """An http(s) URL whose host resolves to public addresses only (unless allowed)."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Use an http:// or https:// address.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("Leave credentials out of the address.")})
    if allow_private_addresses():
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError({"url": _("This host name does not resolve.")}) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                {"url": _("This address is private or local; webhooks go to public hosts only.")}
            )
    return url


def _require_staff(user) -> None:
    if not permissions.can_manage_webhooks(user):
        raise PermissionDenied(_("Only staff manage webhooks."))


def _clean(url: str, events: list[str]) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    try:
        url = check_url(url)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if len(url) > 500:
        errors["url"] = _("The address is too long.")
    events = sorted(set(events))
    if not events or any(name not in EVENT_NAMES for name in events):
        errors["events"] = _("Choose at least one event.")
    if errors:
        raise ValidationError(errors)
    return url, events


def create_endpoint(
    *, actor, url: str, events: list[str], description: str = ""
) -> WebhookEndpoint:
    _require_staff(actor)
    url, events = _clean(url, events)
    check_lengths(WebhookEndpoint, description=description.strip())
    return WebhookEndpoint.objects.create(
        url=url,
        events=events,
        description=description.strip(),
        secret="whsec_" + secrets.token_hex(24),
        created_by=actor,
    )


def update_endpoint(
    *,
    actor,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given, under the same rules as a new endpoint; the secret stays."""
    _require_staff(actor)
    url, events = _clean(
        endpoint.url if url is None else url, endpoint.events if events is None else events
    )
    endpoint.url, endpoint.events = url, events
    if description is not None:
        check_lengths(WebhookEndpoint, description=description.strip())
        endpoint.description = description.strip()
    if active is not None:
        endpoint.active = active
    endpoint.save(update_fields=["url", "events", "description", "active"])
    return endpoint


def set_active(*, actor, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    _require_staff(actor)
    endpoint.active = active
    endpoint.save(update_fields=["active"])
    return endpoint


def delete_endpoint(*, actor, endpoint: WebhookEndpoint) -> None:
    _require_staff(actor)
    endpoint.delete()


def _queue(delivery_ids: list[int]) -> None:
    from agora.api import tasks

    for delivery_id in delivery_ids:
        jobs.wake(tasks.deliver_webhook, delivery_id)


def dispatch(event: str, data: dict) -> list[WebhookDelivery]:
    """Log one delivery per subscribed active endpoint; send them after the commit."""
    payload = {
        "id": secrets.token_hex(12),
        "event": event,
        "created_at": timezone.now().isoformat(),
        "data": data,
    }
    payload = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    deliveries = [
        WebhookDelivery.objects.create(endpoint=endpoint, event=event, payload=payload)
        for endpoint in WebhookEndpoint.objects.filter(active=True)
        if event in endpoint.events
    ]
    ids = [d.id for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _queue(ids))
    return deliveries


def send_test(*, actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """The "send test event" button: a `ping` to this endpoint only."""
    _require_staff(actor)
    payload = {
        "id": secrets.token_hex(12),
        "event": "ping",
        "created_at": timezone.now().isoformat(),
        "data": {"endpoint": endpoint.id},
    }
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="ping", payload=payload)
    transaction.on_commit(lambda: _queue([delivery.id]))
    return delivery


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect counts as the answer; following it could reach anywhere


_opener = urllib.request.build_opener(_NoRedirect)


def backoff_s(attempt: int) -> int:
    """Exponential: 30 s, 1 min, 2 min, 4 min, 8 min after attempts 1..5 (by default)."""
    return getattr(settings, "API_WEBHOOK_RETRY_BASE_S", 30) * 2 ** max(0, attempt - 1)


LEASE_S = TIMEOUT_S * 6  # a claim older than this belongs to a dead worker


def _claimable(now, *, ignore_backoff: bool = False) -> Q:
    """Waiting, due (unless told otherwise), and not held by a live worker."""
    waiting = Q(status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.RETRYING])
    due = Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now)
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - timedelta(seconds=LEASE_S))
    return waiting & free if ignore_backoff else waiting & due & free


def sweep(*, now=None) -> list[int]:
    """The webhook kind's sweep (agora/core/jobs.py): due deliveries whose wake was lost or whose
    worker died mid-attempt."""
    from agora.api import tasks

    now = now or timezone.now()
    return jobs.wake_due(WebhookDelivery, _claimable(now), tasks.deliver_webhook, now=now)


def retry_in_s(*, delivery_id: int) -> float:
    """Seconds until the delivery's next attempt is due."""
    due = WebhookDelivery.objects.filter(pk=delivery_id).values_list("next_retry_at", flat=True)
    when = due.first()
    return max(0.0, (when - timezone.now()).total_seconds()) if when else 0.0


def attempt(*, delivery_id: int, ignore_backoff: bool = False) -> bool | None:
    """One try, by the worker that claims the delivery. True: delivered; False: failed, retry
    later; None: nothing to do (done, not due, or another worker holds it)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        _claimable(now, ignore_backoff=ignore_backoff), pk=delivery_id
    ).update(claimed_at=now)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    code, excerpt, error = None, "", ""
    try:
        check_url(endpoint.url)
        request = urllib.request.Request(  # noqa: S310 (check_url: http or https only)
            endpoint.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Agora-Webhooks/1",
                "X-Agora-Event": delivery.event,
                "X-Agora-Delivery": str(delivery.id),
                "X-Agora-Signature": sign(endpoint.secret, body, timestamp),
            },
        )
        try:
            with _opener.open(request, timeout=TIMEOUT_S) as response:
                code = response.status
                excerpt = response.read(EXCERPT).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            code = exc.code
            excerpt = exc.read(EXCERPT).decode("utf-8", "replace") if exc.fp else ""
    except ValidationError as exc:
        error = "; ".join(exc.messages)
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    attempts = delivery.attempts + 1
    ok = code is not None and 200 <= code < 300
    if ok:
        status, next_retry = "delivered", None
    elif attempts >= MAX_ATTEMPTS or delivery.event == "ping":
        status, next_retry = "failed", None
    else:
        status, next_retry = "retrying", timezone.now() + timedelta(seconds=backoff_s(attempts))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=attempts,
        status=status,
        response_code=code,
        response_excerpt=excerpt,
        error=error,
        next_retry_at=next_retry,
        delivered_at=timezone.now() if ok else None,
        claimed_at=None,
    )
    if not ok:
        logger.info(
            "webhook delivery %s to %s failed: %s %s", delivery.id, endpoint.url, code, error
        )
    return ok if status != "failed" else None
