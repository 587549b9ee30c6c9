"""Events in search: title, description, speakers, kind, and where (the venue, or "online"). The
online link itself is never indexed: it is shown to attendees only. Events are public, as on the
events pages; a cancelled one is still found, marked cancelled."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.core.markdown import to_plain_text
from agora.events.models import Event
from agora.search.receivers import follow
from agora.search.registry import (
    Card,
    Document,
    SearchKind,
    Visibility,
    in_every_language,
    register_kind,
)

EVENT = "event"
KINDS = dict(Event.Kind.choices)  # lazy labels, for every language
ONLINE = _("Online")


def documents(ids: list[int]) -> dict[int, Document]:
    return {
        event.id: Document(
            object_id=event.id,
            title=event.title,
            body=f"{to_plain_text(event.description_html)}\n{event.speakers}",
            keywords=" ".join(
                [
                    event.venue,
                    in_every_language(KINDS.get(event.kind), event.is_online and ONLINE),
                ]
            ),
            created_at=event.starts_at,
            author_id=event.organizer_id,
        )
        for event in Event.objects.filter(id__in=ids)
    }


def visibility(viewer, access) -> Visibility:
    return Visibility(joins=f" JOIN {Event._meta.db_table} ev ON ev.id = d.object_id")


def cards(ids: list[int], viewer) -> dict[int, Card]:
    events = Event.objects.select_related("organizer").in_bulk(ids)
    return {
        event.id: Card(
            url=event.get_absolute_url(),
            title=event.title,
            created_at=event.starts_at,
            author=event.organizer,
            details=[
                d for d in [event.get_kind_display(), event.venue, event.is_online and ONLINE] if d
            ],
            flags=[str(_("Cancelled"))] if event.cancelled else [],
        )
        for event in events.values()
    }


register_kind(
    SearchKind(
        name=EVENT,
        documents=documents,
        all_ids=lambda: Event.objects.values_list("id", flat=True),
        visibility=visibility,
        label=_("Events"),
        noun=_("Event"),
        order=80,
        cards=cards,
    )
)
follow(Event, EVENT)
