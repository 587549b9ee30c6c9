"""The public REST API at /api/v1 (django-ninja): routers per domain, one error shape, cursor
pages, ETags on reads."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import NinjaAPI

from agora.api import errors
from agora.api.auth import ApiAuth
from agora.api.routers import account, community, forum, gallery, lab, me, moderation, webhooks


class AgoraAPI(NinjaAPI):
    def create_response(self, request: HttpRequest, data, *, status=None, temporal_response=None):
        response = super().create_response(
            request, data, status=status, temporal_response=temporal_response
        )
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            return with_etag(request, response)
        return response


def with_etag(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A strong ETag from the body; If-None-Match with it → 304 without a body."""
    tag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-cache"
    response["Vary"] = "Authorization, Cookie, Accept-Language"
    wanted = request.headers.get("If-None-Match", "")
    if wanted and (wanted.strip() == "*" or tag in [t.strip() for t in wanted.split(",")]):
        not_modified = HttpResponseNotModified()
        for header in ("ETag", "Cache-Control", "Vary"):
            not_modified[header] = response[header]
        return not_modified
    return response


api = AgoraAPI(
    title="Agora API",
    version="1",
    description=(
        "Agora's public REST API. Authenticate with `Authorization: Bearer <token>` (personal "
        "tokens, scopes `read` and `write`) or the browser session. See docs/api.md."
    ),
    urls_namespace="api-v1",
    auth=ApiAuth(),
)
errors.install(api)
api.add_router("", forum.router)
api.add_router("", community.router)
api.add_router("", gallery.router)
api.add_router("", lab.router)
api.add_router("", account.router)
api.add_router("", me.router)
api.add_router("", moderation.router)
api.add_router("", webhooks.router)
