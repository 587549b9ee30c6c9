"""The Jinja2 environment for the forum's hottest templates (a topic page's posts, a list's rows).

Django renders every other page with its own engine; these repeat 20-30 times a page, where
Jinja2 (Django's other built-in backend, compiled to Python) costs a fraction. Auto-escaping is
on; strings go through Django's translations, URLs through `reverse`, times through Django's
time zone, `localize` and humanize's `naturaltime`, so the output matches the Django templates'.
A loop that shows many times can look the zone and the format up once per render
(`current_timezone()`, `get_format("DATETIME_FORMAT")`) and format each with `dateformat`:
what `localtime` and `localize` do, without the lookups on every value.
Write translatable strings as `{{ _("...") }}`: `makemessages` extracts that form from any
template.
"""

from __future__ import annotations

from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, translation
from django.utils.formats import get_format, localize
from django.utils.timezone import get_current_timezone, template_localtime
from jinja2 import Environment


def url(name: str, *args: object) -> str:
    """`{% url name *args %}`."""
    return reverse(name, args=args)


def environment(**options: object) -> Environment:
    options = {**options, "autoescape": True}  # Django's backend sets it too; never without
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 (on, line above)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(
        url=url, static=static, current_timezone=get_current_timezone, get_format=get_format
    )
    env.filters.update(
        naturaltime=naturaltime,
        intcomma=intcomma,
        localtime=template_localtime,
        localize=localize,
        dateformat=dateformat.format,
    )
    return env
