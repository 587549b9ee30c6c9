from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from agora.core.timezones import is_valid_timezone

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Mermaid writes a <style> element into each diagram's SVG; user HTML can carry no style
        # (the sanitizer strips style attributes and elements), and scripts stay 'self' only.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """Only our own static files may run or style the page; user HTML cannot add any."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class UserPreferencesMiddleware:
    """Language: the member's setting beats the cookie and Accept-Language (LocaleMiddleware).
    Time zone: the member's setting, else the browser's zone sent in a cookie, else UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = ""
        tz_name = ""
        if user is not None and user.is_authenticated:
            language = user.language
            tz_name = user.timezone
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()
        if not tz_name:
            tz_name = request.COOKIES.get(settings.TIMEZONE_COOKIE_NAME, "")
        if tz_name and is_valid_timezone(tz_name):
            timezone.activate(zoneinfo.ZoneInfo(tz_name))
        else:
            timezone.deactivate()
        return self.get_response(request)
