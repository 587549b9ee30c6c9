"""Access rules of the API's own objects (tokens, webhooks); the content routers ask each app's
permissions.py."""

from __future__ import annotations

from agora.core.permissions import is_staff


def can_manage_webhooks(user) -> bool:
    return is_staff(user)
