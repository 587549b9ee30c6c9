from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.templatetags.static import static
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as _noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.static import serve

from agora.accounts import services as account_services
from agora.core.health import run_checks
from agora.core.media_access import is_protected, media_visibility
from agora.core.timezones import is_valid_timezone


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    ok, states, errors = run_checks()
    body: dict[str, object] = {"status": "ok" if ok else "down", **states}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=200 if ok else 503)


_UNAVAILABLE = {
    503: (
        _noop(
            "The site cannot reach its database for a moment. Nothing was saved; "
            "please try again in a few seconds."
        ),
        _noop("Temporarily unavailable"),
    ),
    507: (
        _noop(
            "The server has no room left to store files. Your file was not saved; "
            "please try again later."
        ),
        _noop("Storage full"),
    ),
    500: (
        _noop("Something went wrong on our side. It has been logged; please try again."),
        _noop("Server error"),
    ),
}


_ERROR_PAGE = (
    '<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title} · Agora</title>"
    '<link rel="stylesheet" href="{css}"><link rel="stylesheet" href="{site_css}"></head>'
    '<body><header class="site-header"><nav class="container"><ul><li>'
    '<a href="/" class="brand"><strong>Agora</strong></a></li></ul></nav></header>'
    '<main class="container error-page"><h1>{title}</h1><p>{message}</p>'
    '<p><a href="/">{home}</a></p></main></body></html>'
)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a plain page (no database, no templates) that says what failed. Database
    outages answer 503 with Retry-After, a full disk 507, anything else 500."""
    import sys

    from django.db import DatabaseError, InterfaceError, OperationalError
    from django.utils.html import escape

    from agora.core.storage import DISK_FULL

    exc = sys.exc_info()[1]
    status = 500
    if isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    ):
        status = 503
    elif isinstance(exc, OSError) and exc.errno in DISK_FULL:
        status = 507
    message, title = (_(text) for text in _UNAVAILABLE[status])
    if "text/html" not in request.headers.get("Accept", "text/html"):
        response = JsonResponse({"error": message}, status=status)
    else:
        # No template engine and no database here: either may be what failed.
        response = HttpResponse(
            _ERROR_PAGE.format(
                lang=escape(translation.get_language() or settings.LANGUAGE_CODE),
                css=escape(static("vendor/pico.min.css")),
                site_css=escape(static("agora/css/agora.css")),
                title=escape(title),
                message=escape(message),
                home=escape(_("Home page")),
            ),
            status=status,
        )
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


ROBOTS_DISALLOW = (
    "/admin/",
    "/accounts/",
    "/api/",
    "/i18n/",
    "/notifications/",
    "/search/",
    "/lab/runs/compare/",
)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    """robots.txt (RFC 9309): crawlers skip accounts, the API, search and per-member pages, and
    find public content through the sitemap."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines += ["", f"Sitemap: {settings.AGORA_SITE_URL}/sitemap.xml", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header switcher: remember the choice in a cookie and, for a member, in the profile."""
    code = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if code not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language code: %(code)s") % {"code": code[:20]})
        return response
    if request.user.is_authenticated:
        account_services.update_preferences(user=request.user, language=code)
    translation.activate(code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.PRODUCTION,
    )
    return response


@require_POST
def set_timezone(request: HttpRequest) -> HttpResponse:
    """Called by the page script with the browser's zone for visitors who have not chosen one."""
    name = request.POST.get("timezone", "")
    if not is_valid_timezone(name):
        return JsonResponse(
            {"error": _("Unknown time zone: %(name)s") % {"name": name[:64]}}, status=400
        )
    response = JsonResponse({"timezone": name})
    response.set_cookie(
        settings.TIMEZONE_COOKIE_NAME,
        name,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.PRODUCTION,
    )
    return response


@require_safe
def media(request: HttpRequest, path: str) -> HttpResponse:
    """Uploaded files, from disk or (with S3) by a redirect to a signed address. Media of things
    that can be private (gallery works, lab runs, generations, models, data sets, forum composer
    images) go to whoever may see the thing, others get 404; the rest is public. serve() refuses
    paths that escape MEDIA_ROOT; the path is normalised first, so `avatars/../works/...` is
    checked as a work. With AGORA_MEDIA_ACCEL_REDIRECT set, the file itself is sent by the
    reverse proxy (X-Accel-Redirect) after the check."""
    path = posixpath.normpath(path).lstrip("/")
    if path in {"", ".", ".."} or path.startswith("../"):
        raise Http404("No such file")
    visibility = media_visibility(request.user, path)
    if visibility is None:
        raise Http404("No such file")
    if settings.S3_BUCKET:
        if not default_storage.exists(path):
            raise Http404("No such file")
        response = HttpResponseRedirect(default_storage.signed_url(path))
        # The signed address expires: a browser may reuse it for a minute, no shared cache.
        response.headers["Cache-Control"] = "private, max-age=60"
        patch_vary_headers(response, ["Cookie"])
        return response
    if settings.MEDIA_ACCEL_REDIRECT:
        if not (Path(settings.MEDIA_ROOT) / path).is_file():
            raise Http404("No such file")
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        response = HttpResponse(content_type=kind)
        response.headers["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT + quote(path)
    else:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if visibility == "private":
        # Only this viewer may see it: no shared cache (proxy, CDN) may keep a copy.
        response.headers["Cache-Control"] = "private, max-age=3600"
        patch_vary_headers(response, ["Cookie"])
    elif is_protected(path):
        # Public now, but its owner may make it private: caches must ask again (a cheap 304).
        response.headers["Cache-Control"] = "no-cache"
    else:
        response.headers["Cache-Control"] = "public, max-age=86400"
    return response
