"""Who is calling: a personal token (Authorization: Bearer), the browser session (CSRF checked
for unsafe methods) or nobody. Each caller is rate limited through the shared cache."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from agora.api import tokens
from agora.api.errors import ApiError
from agora.api.models import ApiToken

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass
class Principal:
    user: object
    token: ApiToken | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def __bool__(self) -> bool:  # ninja treats a falsy result as "not authenticated"
        return True

    @property
    def authenticated(self) -> bool:
        return bool(self.user.is_authenticated)


def rate_limit() -> tuple[int, int]:
    """(requests, seconds) for a token or member, and for an anonymous address."""
    return getattr(settings, "API_RATE_LIMIT", (600, 60))


def anonymous_rate_limit() -> tuple[int, int]:
    return getattr(settings, "API_ANONYMOUS_RATE_LIMIT", (120, 60))


def _throttle(ident: str, limit: int, window: int) -> None:
    """A fixed window counter in the cache; over the limit → 429 with Retry-After."""
    now = time.time()
    slot = int(now // window)
    key = f"api-rate:{ident}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        retry_after = max(1, int((slot + 1) * window - now) + 1)
        raise ApiError(
            429,
            "rate_limited",
            _("Too many requests; try again in %(n)d seconds.") % {"n": retry_after},
            details={"retry_after": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _unstorable(text: str) -> bool:
    """NUL and lone surrogates cannot be stored (PostgreSQL refuses them) nor shown."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def refuse_unstorable_text(request: HttpRequest) -> None:
    """Refused up front, for every operation: text that no model could store."""
    texts = [request.path, *(v for values in request.GET.lists() for v in values[1])]
    content_type = request.content_type or ""
    if request.method not in SAFE_METHODS:
        if content_type == "application/json":
            with contextlib.suppress(ValueError, RecursionError):  # ninja answers bad JSON
                texts.extend(_strings(json.loads(request.body or b"null")))
        elif content_type.startswith(("multipart/", "application/x-www-form-urlencoded")):
            texts.extend(v for values in request.POST.lists() for v in values[1])
    if any(_unstorable(text) for text in texts):
        raise ApiError(
            400, "invalid", _("Text cannot contain NUL characters or unpaired surrogates.")
        )


class ApiAuth(HttpBearer):
    """Always yields a Principal (possibly anonymous); refuses bad tokens and missing CSRF."""

    csrf = True  # tells the interactive docs to send the CSRF token with session requests

    def __call__(self, request: HttpRequest) -> Principal:
        refuse_unstorable_text(request)
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _sep, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise ApiError(401, "unauthenticated", _("Use 'Authorization: Bearer <token>'."))
            return self.authenticate(request, raw.strip())
        user = getattr(request, "user", None) or AnonymousUser()
        if user.is_authenticated:
            if request.method not in SAFE_METHODS and check_csrf(request) is not None:
                raise ApiError(403, "csrf_failed", _("CSRF check failed; reload the page."))
            _throttle(f"user:{user.pk}", *rate_limit())
            return Principal(user=user, scopes=frozenset({"read", "write"}))
        _throttle(f"ip:{_client_ip(request)}", *anonymous_rate_limit())
        return Principal(user=AnonymousUser())

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        found = tokens.authenticate(token)
        if found is None:
            raise ApiError(401, "invalid_token", _("This token is unknown or was revoked."))
        _throttle(f"token:{found.pk}", *rate_limit())
        if request.method in SAFE_METHODS and "read" not in found.scopes:
            raise ApiError(403, "insufficient_scope", _("This token lacks the 'read' scope."))
        request.user = found.user  # what the shared selectors and services see
        return Principal(user=found.user, token=found, scopes=frozenset(found.scopes))


def principal(request: HttpRequest) -> Principal:
    return request.auth


def viewer(request: HttpRequest):
    return request.auth.user


def require(request: HttpRequest, scope: str = "read"):
    """The caller's user, who must be logged in and hold the scope; returns the user."""
    who: Principal = request.auth
    if not who.authenticated:
        raise ApiError(401, "unauthenticated", _("Authentication is required."))
    if scope not in who.scopes:
        raise ApiError(
            403,
            "insufficient_scope",
            _("This token lacks the '%(scope)s' scope.") % {"scope": scope},
        )
    return who.user
