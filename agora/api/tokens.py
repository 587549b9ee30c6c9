"""Personal API tokens: random, shown once, stored as SHA-256, scoped, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.api.models import SCOPES, ApiToken

TOKEN_PREFIX = "agora_"  # noqa: S105 (a marker, not a secret)
MAX_TOKENS_PER_MEMBER = 20


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(*, user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Returns the token row and the raw token, which is never stored and shown only now."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to create API tokens."))
    errors: dict[str, str] = {}
    name = " ".join(name.split())[:80]
    if not name:
        errors["name"] = _("Name the token, e.g. after the script that uses it.")
    scopes = sorted(set(scopes))
    if not scopes or any(scope not in SCOPES for scope in scopes):
        errors["scopes"] = _("Choose read, write or both.")
    if ApiToken.objects.filter(user=user, revoked_at=None).count() >= MAX_TOKENS_PER_MEMBER:
        errors["name"] = _("You have %(n)d active tokens; revoke one first.") % {
            "n": MAX_TOKENS_PER_MEMBER
        }
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        digest=digest_of(raw),
        scopes=scopes,
    )
    return token, raw


def revoke_token(*, user: User, token: ApiToken) -> ApiToken:
    if token.user_id != user.pk:
        raise PermissionDenied(_("This is not your token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def user_tokens(*, user: User) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("revoked_at", "-created_at")[:100])


def authenticate(raw: str) -> ApiToken | None:
    """The active token with this value (its owner loaded), or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=digest_of(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        # At most one write a minute per token: "last used" needs no finer grain.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
