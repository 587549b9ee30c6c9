"""The public REST API at /api/v1 (django-ninja): routers per domain, one error shape, cursor
pages, ETags on reads."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from ninja import NinjaAPI

from agora.api import errors
from agora.api.auth import ApiAuth
from agora.api.routers import (
    account,
    challenges,
    community,
    forum,
    gallery,
    lab,
    learn,
    me,
    moderation,
    webhooks,
)

TAGS = [
    {
        "name": "challenges",
        "description": "Model challenges scored by the platform on a sealed split (list, read, "
        "leaderboard, submit) and work contests.",
    },
    {
        "name": "forum",
        "description": "Categories, topics, posts, tags, private messages, "
        "notification levels, revisions and composer uploads.",
    },
    {"name": "community", "description": "Members, search, events, launches and partner requests."},
    {
        "name": "gallery",
        "description": "Works: the feed, uploads, reactions, comments, "
        "collections and content levels.",
    },
    {
        "name": "lab",
        "description": "Data sets, training runs (and sharing them), models and generations.",
    },
    {"name": "learn", "description": "Articles and the resource library."},
    {"name": "account", "description": "Who you are and your API tokens."},
    {
        "name": "me",
        "description": "Your profile, preferences, avatar, email settings, "
        "notifications, bookmarks and composer drafts.",
    },
    {
        "name": "moderation",
        "description": "Flags for every member; the review queue, topic "
        "state, moves, restores and the staff log for staff.",
    },
    {
        "name": "webhooks",
        "description": "Staff: webhook endpoints, their deliveries and the test event.",
    },
]


class AgoraAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Credentials are optional for every operation: public reads work anonymously, and an
        operation that needs a member answers 401 (documented) without them."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in schema["paths"].values():
            for operation in item.values():
                if isinstance(operation, dict) and operation.get("security"):
                    operation["security"] = [*operation["security"], {}]
        schema["tags"] = TAGS
        return schema

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
api.add_router("", challenges.router)
api.add_router("", learn.router)
api.add_router("", account.router)
api.add_router("", me.router)
api.add_router("", moderation.router)
api.add_router("", webhooks.router)
