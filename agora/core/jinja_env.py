"""The Jinja2 environment for the forum's hottest templates (a topic page's posts, a list's rows).

Django renders every other page with its own engine; these repeat 20-30 times a page, where
Jinja2 (Django's other built-in backend, compiled to Python) costs a fraction. Auto-escaping is
on; strings go through Django's translations, URLs through `reverse`, times through Django's
time zone, `localize` and humanize's `naturaltime`, so the output matches the Django templates'.
Write translatable strings as `{{ _("...") }}`: `makemessages` extracts that form from any
template.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.contrib.humanize.templatetags.humanize import intcomma, naturaltime
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.timezone import template_localtime
from jinja2 import Environment


@lru_cache(maxsize=8192)
def _reverse(name: str, args: tuple, prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=args, urlconf=urlconf)


def url(name: str, *args: object) -> str:
    """`{% url name *args %}`: a list page links the same topics, categories and tags again
    and again, so each URL is reversed once per script prefix and URLconf."""
    return _reverse(name, args, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=8192)
def _natural_past(value: dt.datetime, language: str, minute: dt.datetime) -> str:
    del language, minute  # cache keys: naturaltime reads the active language and the clock
    return naturaltime(value)


def natural_time(value: dt.datetime) -> str:
    """humanize's `naturaltime`. A moment a day or more ago shows days and hours at most
    ("3 days, 2 hours ago"), so its text is kept for the minute."""
    now = timezone.now()
    if isinstance(value, dt.datetime) and (now - value).days >= 1:
        minute = now.replace(second=0, microsecond=0)
        return _natural_past(value, translation.get_language(), minute)
    return naturaltime(value)


@lru_cache(maxsize=16384)
def _localized_moment(value: dt.datetime, zone: dt.tzinfo, language: str) -> str:
    # Cache keys besides the value: aware datetimes of one instant compare equal whatever their
    # zone, and localize reads the active language's DATETIME_FORMAT.
    del zone, language
    return localize(value)


def localize_value(value: object) -> str:
    """Django's `localize`. A list page shows the same moments request after request (a topic's
    last activity, in the viewer's time zone), so a moment's text is kept per zone and language."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return _localized_moment(value, value.tzinfo, translation.get_language())
    return localize(value)


@lru_cache(maxsize=16384)
def _grouped(value: int, language: str) -> str:
    del language  # cache key: intcomma groups digits the active language's way
    return intcomma(value)


def grouped_number(value: object) -> str:
    """humanize's `intcomma`, kept per whole number and language (a list shows the same view
    counts request after request)."""
    if type(value) is int:
        return _grouped(value, translation.get_language())
    return intcomma(value)


def environment(**options: object) -> Environment:
    options = {**options, "autoescape": True}  # Django's backend sets it too; never without
    env = Environment(extensions=["jinja2.ext.i18n"], **options)  # noqa: S701 (on, line above)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        translation.gettext, translation.ngettext, newstyle=True
    )
    env.globals.update(url=url, static=static)
    env.filters.update(
        naturaltime=natural_time,
        intcomma=grouped_number,
        localtime=template_localtime,
        localize=localize_value,
    )
    return env
