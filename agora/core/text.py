"""Text on the way in and on the way out.

In: every string a model stores passes `normalize_text` (a `pre_save` receiver, so page forms,
the API, imports and the admin all get it): C0 control characters other than tab and newline are
dropped (DEL and C1 too), CRLF and lone CR become LF, and the text is put in Unicode NFC.

Out: serialisers do not trust what is already stored. `xml_safe` drops what XML 1.0 cannot carry
(feeds), `header_safe` makes one line of a header (email headers, one-line iCalendar values),
and `absolute_urls` makes the root-relative links of rendered HTML absolute (feeds and emails
are read away from the site).
"""

from __future__ import annotations

import re
import unicodedata

from django.db import models
from django.utils.text import Truncator

from agora.core.markdown.plain_text import to_plain_text

# C0 controls other than tab (09) and line feed (0A); CR (0D) is turned into LF first. DEL and the
# C1 range are kept out too: they are invisible, and XML 1.0 discourages them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What XML 1.0 cannot carry at all (its Char production), plus the discouraged DEL/C1 range and
# the non-characters U+FFFE/U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_ROOT_RELATIVE = re.compile(r"""(\s(?:href|src)\s*=\s*)(["'])/(?![/\\])""", re.IGNORECASE)


def normalize_text(value: str) -> str:
    """The stored form of member text: no C0/C1 controls but tab and LF, LF line ends, NFC."""
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROLS.sub("", value)
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value


def xml_safe(value: str) -> str:
    """The text without characters an XML 1.0 document cannot contain."""
    return _NOT_XML.sub("", value)


def header_safe(value: str) -> str:
    """One line for an email header or a similar one-line field: every run of line breaks and
    control characters becomes one space, so a title can never start a new header."""
    return " ".join(_LINE_BREAKS_AND_CONTROLS.sub(" ", value).split())


def absolute_urls(html: str, *, base: str) -> str:
    """Root-relative `href`/`src` attributes made absolute against `base` (no trailing slash)."""
    return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{m.group(2)}{base}/", html)


def excerpt(html: str, *, base: str, limit: int = 500) -> tuple[str, str]:
    """The start of rendered Markdown as (HTML, plain text), cut at `limit` characters of text
    without breaking a tag, links and images made absolute against `base`."""
    cut_html = Truncator(absolute_urls(html, base=base)).chars(limit, html=True)
    return cut_html, Truncator(to_plain_text(html)).chars(limit)


def normalize_model_text(sender, instance, raw: bool = False, **kwargs) -> None:
    """`pre_save` receiver: normalise every character and text field of an Agora model's row
    being saved. Fixtures (`raw`) and other packages' models (sessions, allauth) are left alone."""
    if raw or not sender.__module__.startswith("agora."):
        return
    for field in instance._meta.concrete_fields:
        if isinstance(field, (models.CharField, models.TextField)):
            value = getattr(instance, field.attname)
            if isinstance(value, str) and value:
                cleaned = normalize_text(value)
                if cleaned != value:
                    setattr(instance, field.attname, cleaned)


_IMG_SRC = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"')


def first_image(html: str) -> str:
    """The address of the first image in sanitized HTML ("" when there is none), for link
    previews and list thumbnails."""
    found = _IMG_SRC.search(html or "")
    return found.group(1).replace("&amp;", "&") if found else ""
