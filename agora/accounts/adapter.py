from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from agora.core.services import queue_email


def _on_site(url: str) -> str:
    """A link in an account email points at the site's configured address (AGORA_SITE_URL),
    never at whatever Host header the request that asked for it carried."""
    parts = urlsplit(url)
    return settings.AGORA_SITE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def _site() -> SimpleNamespace:
    """The site as account emails name it ("Hello from ..."): its configured address."""
    host = urlsplit(settings.AGORA_SITE_URL).netloc
    return SimpleNamespace(domain=host, name=host)


class AccountAdapter(DefaultAccountAdapter):
    """Account emails go through the outbox and the worker, so a slow SMTP server never blocks
    a page and an outage loses no message."""

    def get_reset_password_from_key_url(self, key: str) -> str:
        return _on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return _on_site(super().get_email_confirmation_url(request, emailconfirmation))

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.AGORA_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": _site()}
        ctx.update(context)
        # A member's account emails (a password reset too) come in the language they saved,
        # whatever the language of the page that asked for it; others in the page's language.
        member = context.get("user")
        if member is None or not getattr(member, "pk", None):
            from agora.accounts.models import User

            member = User.objects.filter(email__iexact=email).first()
        language = getattr(member, "language", "") or translation.get_language()
        with translation.override(language):
            message = self.render_mail(template_prefix, email, ctx)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        queue_email(
            to=list(message.to),
            subject=message.subject,
            body_text=message.body,
            body_html=html,
            from_email=message.from_email,
        )
