"""The caller and their tokens."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from agora.api import tokens
from agora.api.auth import require
from agora.api.errors import ERRORS, ApiError
from agora.api.models import ApiToken
from agora.api.schemas import MeOut, TokenOut

router = Router(tags=["account"])


def token_out(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest):
    """Who the request authenticates as, and with which scopes."""
    user = require(request, "read")
    who = request.auth
    return {
        "username": user.username,
        "display_name": user.display_name,
        "is_staff": user.is_staff,
        "scopes": sorted(who.scopes),
        "token": token_out(who.token) if who.token else None,
    }


@router.get("/tokens", response={200: list[TokenOut], **ERRORS})
def list_tokens(request: HttpRequest):
    """The caller's tokens (prefix only: a token's value is shown once, when created)."""
    user = require(request, "read")
    return [token_out(t) for t in tokens.user_tokens(user=user)]


@router.delete("/tokens/{token_id}", response={200: TokenOut, **ERRORS})
def revoke_token(request: HttpRequest, token_id: int):
    """Revoke one of the caller's tokens; a token may revoke itself."""
    who = request.auth
    if who.token is not None and who.token.pk == token_id:
        user = who.user  # revoking the token in hand needs no write scope
    else:
        user = require(request, "write")
    token = ApiToken.objects.filter(pk=token_id if 0 < token_id < 2**31 else 0).first()
    if token is None or token.user_id != user.pk:
        raise Http404("No such token")
    if not user.is_authenticated:
        raise ApiError(401, "unauthenticated", _("Authentication is required."))
    return token_out(tokens.revoke_token(user=user, token=token))
