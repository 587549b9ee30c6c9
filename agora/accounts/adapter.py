from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest
from django.utils import translation

from agora.core.services import queue_email


class AccountAdapter(DefaultAccountAdapter):
    """Account emails go through the outbox and the worker, so a slow SMTP server never blocks
    a page and an outage loses no message."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return settings.AGORA_OPEN_SIGNUP

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
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
