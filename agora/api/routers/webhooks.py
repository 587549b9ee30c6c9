"""Staff manage webhook endpoints: the same service as the /api/webhooks/ page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from agora.api import permissions, webhooks
from agora.api.auth import require
from agora.api.errors import ERRORS
from agora.api.models import WebhookDelivery, WebhookEndpoint
from agora.api.schemas import DeliveryOut, WebhookIn, WebhookOut, WebhookUpdateIn, page_of
from agora.core.paging import keyset_page

router = Router(tags=["webhooks"])
WebhookPage = page_of(WebhookOut)
DeliveryPage = page_of(DeliveryOut)


def _staff(request: HttpRequest, scope: str):
    user = require(request, scope)
    if not permissions.can_manage_webhooks(user):
        raise PermissionDenied(_("Only staff manage webhooks."))
    return user


def _get(endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(
        pk=endpoint_id if 0 < endpoint_id < 2**31 else 0
    ).first()
    if endpoint is None:
        raise Http404("No such webhook")
    return endpoint


def webhook_out(endpoint: WebhookEndpoint) -> dict:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "active": endpoint.active,
        "secret": endpoint.secret,
        "created_at": endpoint.created_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict:
    return {
        "id": delivery.id,
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_code": delivery.response_code,
        "response_excerpt": delivery.response_excerpt,
        "error": delivery.error,
        "next_retry_at": delivery.next_retry_at,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "payload": delivery.payload if isinstance(delivery.payload, dict) else {},
    }


@router.get("/webhooks", response={200: WebhookPage, **ERRORS})
def list_webhooks(request: HttpRequest):
    """Staff: every endpoint, newest first (one page)."""
    _staff(request, "read")
    rows = WebhookEndpoint.objects.order_by("-created_at")
    return {"items": [webhook_out(e) for e in rows], "next_cursor": None}


@router.post("/webhooks", response={201: WebhookOut, **ERRORS})
def create_webhook(request: HttpRequest, payload: WebhookIn):
    """Staff: register an endpoint for some events (`topic.created`, `post.created`,
    `work.published`, `run.completed`, `event.created`); its signing secret comes back."""
    user = _staff(request, "write")
    endpoint = webhooks.create_endpoint(
        actor=user, url=payload.url, events=payload.events, description=payload.description
    )
    return Status(201, webhook_out(endpoint))


@router.get("/webhooks/{endpoint_id}", response={200: WebhookOut, **ERRORS})
def get_webhook(request: HttpRequest, endpoint_id: int):
    _staff(request, "read")
    return webhook_out(_get(endpoint_id))


@router.patch("/webhooks/{endpoint_id}", response={200: WebhookOut, **ERRORS})
def update_webhook(request: HttpRequest, endpoint_id: int, payload: WebhookUpdateIn):
    """Staff: change the address, events or description, or disable (`active: false`)."""
    user = _staff(request, "write")
    endpoint = webhooks.update_endpoint(
        actor=user, endpoint=_get(endpoint_id), **payload.model_dump(exclude_none=True)
    )
    return webhook_out(endpoint)


@router.delete("/webhooks/{endpoint_id}", response={204: None, **ERRORS})
def delete_webhook(request: HttpRequest, endpoint_id: int):
    """Staff: delete an endpoint and its delivery log."""
    user = _staff(request, "write")
    webhooks.delete_endpoint(actor=user, endpoint=_get(endpoint_id))
    return Status(204, None)


@router.get("/webhooks/{endpoint_id}/deliveries", response={200: DeliveryPage, **ERRORS})
def list_deliveries(
    request: HttpRequest,
    endpoint_id: int,
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=100),
):
    """Staff: the endpoint's deliveries, newest first, with status, attempts, the answer's code
    and first 1,000 characters, and the next retry."""
    _staff(request, "read")
    endpoint = _get(endpoint_id)
    rows, next_cursor = keyset_page(
        endpoint.deliveries.all(), key="created_at", cursor=cursor, limit=limit
    )
    return {"items": [delivery_out(d) for d in rows], "next_cursor": next_cursor}


@router.post("/webhooks/{endpoint_id}/test", response={201: DeliveryOut, **ERRORS})
def send_test(request: HttpRequest, endpoint_id: int):
    """Staff: send a `ping` to this endpoint (once, without retries); poll its delivery."""
    user = _staff(request, "write")
    return Status(201, delivery_out(webhooks.send_test(actor=user, endpoint=_get(endpoint_id))))
