"""The Jinja2 environment for the forum's hottest templates (a topic page's posts, a list's rows).

Django renders every other page with its own engine; these repeat 20-30 times a page, where
Jinja2 (Django's other built-in backend, compiled to Python) costs a fraction. Auto-escaping is
on; strings go through Django's translations, URLs through `reverse`, times through Django's
time zone (`localtime`, or `current_timezone()` looked up once for a loop). Times are written as
ISO dates in the viewer's zone; the browser says them relative to now and in the page's language
(agora.js `relativeTimes`), so no template formats a date per row or post.
Write translatable strings as `{{ _("...") }}`: `makemessages` extracts that form from any
template.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.timezone import get_current_timezone, template_localtime
from jinja2 import Environment


@lru_cache(maxsize=10_000)
def _reverse(name: str, args: tuple, urlconf: str, prefix: str) -> str:
    return reverse(name, urlconf=urlconf, args=args)


def url(name: str, *args: object) -> str:
    """`{% url name *args %}`. A URL depends only on its name and arguments (for one URLconf and
    script prefix, both in the key), and a topic page asks for one per post: each is reversed
    once per process."""
    return _reverse(name, args, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


def environment(**options: object) -> Environment:
    options = {**options, "autoescape": True}  # Django's backend sets it too; never without
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 (on, line above)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(url=url, static=static, current_timezone=get_current_timezone)
    env.filters.update(
        intcomma=intcomma,
        localtime=template_localtime,
    )
    return env
