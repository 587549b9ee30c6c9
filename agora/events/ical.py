"""iCalendar (RFC 5545) for one event or a member's calendar feed."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from agora.events.models import Event


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
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


def calendar(events: Iterable[Event], *, site_url: str, name: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Agora//Events//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    now = _utc(datetime.now(tz=UTC))
    for event in events:
        location = event.venue or event.online_url or ""
        lines += [
            "BEGIN:VEVENT",
            f"UID:event-{event.id}@agora",
            f"DTSTAMP:{now}",
            f"DTSTART:{_utc(event.starts_at)}",
            f"DTEND:{_utc(event.ends_at)}",
            f"SUMMARY:{_escape(event.title)}",
            f"DESCRIPTION:{_escape(event.description[:2000])}",
            f"LOCATION:{_escape(location)}",
            f"URL:{site_url}{event.get_absolute_url()}",
            "STATUS:CANCELLED" if event.cancelled else "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
