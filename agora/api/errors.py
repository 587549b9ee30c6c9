"""One error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError


class ErrorDetail(Schema):
    code: str
    message: str
    details: dict[str, Any]


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: dict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}


# Every operation documents these; schemathesis holds the server to it.
ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    details: dict | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": str(message), "details": details or {}}}
    return api.create_response(request, body, status=status)


def _validation_details(exc: DjangoValidationError) -> dict[str, Any]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _field_name(loc) -> str:
    """A field's name as the 400 errors give it: `title`, `links.3`, `period` (not
    `body.payload.title`); `__all__` for the body as a whole."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["body"]:
        parts = parts[2:]  # "body", then the operation's payload parameter
    elif parts[:1] and parts[0] in ("query", "path", "form", "file", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


def install(api: NinjaAPI) -> None:
    def api_error(request, exc: ApiError):
        response = error_response(api, request, exc.status, exc.code, exc.message, exc.details)
        for name, value in exc.headers.items():
            response[name] = value
        return response

    def not_found(request, exc):
        return error_response(api, request, 404, "not_found", _("Not found."))

    def forbidden(request, exc):
        message = str(exc) or _("You may not do this.")
        return error_response(api, request, 403, "forbidden", message)

    def invalid(request, exc: DjangoValidationError):
        details = _validation_details(exc)
        first = next(iter(details.values()), [_("Invalid input.")])
        return error_response(api, request, 400, "invalid", first[0], details)

    def bad_request(request, exc: NinjaValidationError):
        details: dict[str, list[str]] = {}
        for error in exc.errors:
            details.setdefault(_field_name(error.get("loc", ())), []).append(error.get("msg", ""))
        first = next(iter(details.items()), None)
        message = _("The request is malformed.")
        if first and first[1][0]:
            message = f"{message} {first[0]}: {first[1][0]}"
        return error_response(api, request, 422, "invalid_request", message, details)

    def unauthenticated(request, exc):
        return error_response(
            api, request, 401, "unauthenticated", _("Authentication is required.")
        )

    def http_error(request, exc: HttpError):
        code = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found"}
        status = exc.status_code if exc.status_code in ERRORS else 400
        return error_response(api, request, status, code.get(status, "error"), str(exc.message))

    api.add_exception_handler(ApiError, api_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(DjangoValidationError, invalid)
    api.add_exception_handler(NinjaValidationError, bad_request)
    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
