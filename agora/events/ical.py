"""iCalendar (RFC 5545) for one event or a member's calendar feed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlsplit

from agora.core.text import header_safe, normalize_text
from agora.events.models import Event


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): controls dropped whatever is stored, specials escaped."""
    return (
        normalize_text(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space (RFC 5545 3.1)."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += encoded
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(
    events: Iterable[Event], *, site_url: str, name: str, show_link: Callable[[Event], bool]
) -> str:
    """The events as one VCALENDAR. `show_link(event)` says whether this reader may have the
    online meeting link (permissions.can_see_online_link): without it the link appears nowhere.
    DTSTAMP and LAST-MODIFIED are when the event last changed and SEQUENCE counts the changes,
    so the same event downloads byte for byte the same until it changes."""
    domain = urlsplit(site_url).hostname or "agora.invalid"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Agora//Events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(header_safe(name))}",
    ]
    for event in events:
        description = event.description[:2000]
        location = event.venue
        if event.online_url and show_link(event):
            description = f"{event.online_url}\n\n{description}"
            location = f"{location} / {event.online_url}" if location else event.online_url
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{event.id}@{domain}",
            f"DTSTAMP:{_utc(event.updated_at)}",
            f"CREATED:{_utc(event.created_at)}",
            f"LAST-MODIFIED:{_utc(event.updated_at)}",
            f"SEQUENCE:{event.sequence}",
            f"DTSTART:{_utc(event.starts_at)}",
            f"DTEND:{_utc(event.ends_at)}",
            f"SUMMARY:{_escape(header_safe(event.title))}",
            f"DESCRIPTION:{_escape(description)}",
            *([f"LOCATION:{_escape(header_safe(location))}"] if location.strip() else []),
            f"URL:{site_url}{event.get_absolute_url()}",
            "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
