from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class DailyVisitMiddleware:
    """Counts the days a member visits (for trust levels): one write per member per day."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            today = timezone.now().date().isoformat()
            if request.session.get("agora_visit_day") != today:
                from agora.moderation.services import record_visit

                record_visit(user=user)
                request.session["agora_visit_day"] = today
        return self.get_response(request)
