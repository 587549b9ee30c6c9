from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "AGORA_OPEN_SIGNUP": settings.AGORA_OPEN_SIGNUP,
        "AGORA_LANGUAGES": settings.LANGUAGES,
    }
