"""`{% layoutcache %}`: parts of the page layout rendered once per process and key.

The site header, footer and a few fixed parts of pages show the same markup to everyone who
shares a language (and a few flags): a dozen `{% url %}`, `{% translate %}` and `{% static %}`
tags a request that cost more than the page's own content. The block renders its content on
first use for a key and keeps the text:

    {% layoutcache "nav" LANGUAGE_CODE request.resolver_match.namespace %}...{% endlayoutcache %}

The key is the name, the values given (resolved in the context), the active language, the
script prefix and the URLconf. Everything the content shows must be fixed by those: no CSRF
tokens, user names, counts or paths that are not part of the key. The store is bounded, and
cleared whenever a setting changes (tests override settings such as AGORA_OPEN_SIGNUP).
"""

from __future__ import annotations

import threading

from django import template
from django.core.signals import setting_changed
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_ENTRIES = 1024
_store: dict[tuple, str] = {}
_lock = threading.Lock()


def clear(**kwargs) -> None:
    with _lock:
        _store.clear()


setting_changed.connect(clear, dispatch_uid="agora-layoutcache-clear")


class LayoutCacheNode(template.Node):
    def __init__(self, name: str, keys: list, nodelist: template.NodeList) -> None:
        self.name = name
        self.keys = keys
        self.nodelist = nodelist

    def render(self, context) -> str:
        key = (
            self.name,
            get_language(),
            get_script_prefix(),
            get_urlconf(),
            *[value.resolve(context) for value in self.keys],
        )
        text = _store.get(key)
        if text is None:
            text = self.nodelist.render(context)
            with _lock:
                if len(_store) >= MAX_ENTRIES:
                    _store.clear()
                _store[key] = text
        return mark_safe(text)  # the nodelist's own output, escaped as it rendered


@register.tag
def layoutcache(parser, token) -> LayoutCacheNode:
    """{% layoutcache "name" value ... %}...{% endlayoutcache %}"""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("{% layoutcache %} takes a quoted name, then values")
    nodelist = parser.parse(("endlayoutcache",))
    parser.delete_first_token()
    return LayoutCacheNode(bits[1][1:-1], [parser.compile_filter(b) for b in bits[2:]], nodelist)
