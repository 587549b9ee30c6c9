"""Durations as people say them: "about 4 minutes", "约 4 分钟", never "302 s"."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def about(seconds) -> str:
    """A rough duration in words in the viewer's language: seconds under a minute, whole
    minutes under an hour, hours with a half-hour step above."""
    try:
        s = max(0.0, float(seconds))
    except (TypeError, ValueError):
        return ""
    if s < 45:
        return gettext("less than a minute")
    if s < 3600 - 30:
        n = max(1, round(s / 60))
        return ngettext("about %(n)d minute", "about %(n)d minutes", n) % {"n": n}
    hours = round(s / 1800) / 2
    if hours == int(hours):
        n = int(hours)
        return ngettext("about %(n)d hour", "about %(n)d hours", n) % {"n": n}
    return gettext("about %(n)s hours") % {"n": f"{hours:g}"}
