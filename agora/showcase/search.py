"""Launches and partner requests in search.

Launches: name, tagline, description and audience; public. Partner requests: title, description,
role, skills and location. Like the request page (``selectors.get_request``), a closed or expired
request is seen only by its author and staff: for them it is still found, marked expired or
closed; everyone else finds open requests only. The rule is read at query time, so a request
stops being found the moment it expires."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agora.core.markdown import to_plain_text
from agora.search.receivers import follow
from agora.search.registry import (
    Card,
    Document,
    SearchKind,
    Visibility,
    in_every_language,
    register_kind,
    viewer_id,
)
from agora.showcase import permissions
from agora.showcase.models import Launch, PartnerRequest

LAUNCH, PARTNER = "launch", "partner"
ROLES = dict(PartnerRequest.Role.choices)  # lazy labels, for every language


def launch_documents(ids: list[int]) -> dict[int, Document]:
    return {
        launch.id: Document(
            object_id=launch.id,
            title=launch.name,
            body="\n".join(
                [launch.tagline, to_plain_text(launch.description_html), launch.audience]
            ),
            created_at=launch.launched_at,
            author_id=launch.owner_id,
        )
        for launch in Launch.objects.filter(id__in=ids)
    }


def launch_visibility(viewer, access) -> Visibility:
    return Visibility(joins=f" JOIN {Launch._meta.db_table} sl ON sl.id = d.object_id")


def launch_cards(ids: list[int], viewer) -> dict[int, Card]:
    launches = Launch.objects.select_related("owner").in_bulk(ids)
    return {
        launch.id: Card(
            url=launch.get_absolute_url(),
            title=launch.name,
            created_at=launch.launched_at,
            author=launch.owner,
            thumbnail=launch.screenshot.url if launch.screenshot else "",
            details=[launch.tagline],
        )
        for launch in launches.values()
    }


def partner_documents(ids: list[int]) -> dict[int, Document]:
    return {
        request.id: Document(
            object_id=request.id,
            title=request.title,
            body=to_plain_text(request.description_html),
            keywords=" ".join(
                [
                    in_every_language(ROLES.get(request.role)),
                    *(str(s) for s in request.skills or []),
                    request.location,
                ]
            ),
            created_at=request.created_at,
            author_id=request.author_id,
        )
        for request in PartnerRequest.objects.filter(id__in=ids)
    }


def partner_visibility(viewer, access) -> Visibility:
    """Open requests; closed or expired ones for their author and staff (as ``get_request``)."""
    joins = f" JOIN {PartnerRequest._meta.db_table} sp ON sp.id = d.object_id"
    if permissions.sees_every_partner_request(viewer):
        return Visibility(joins=joins)
    return Visibility(
        joins=joins,
        where=" AND ((sp.closed = %s AND sp.expires_at > %s) OR sp.author_id = %s)",
        # the moment as the database stores it (SQLite compares text)
        params=[False, connection.ops.adapt_datetimefield_value(timezone.now()), viewer_id(viewer)],
    )


def partner_cards(ids: list[int], viewer) -> dict[int, Card]:
    requests = PartnerRequest.objects.select_related("author").in_bulk(ids)
    now = timezone.now()
    cards = {}
    for request in requests.values():
        flags = []
        if request.closed:
            flags.append(str(_("Closed")))
        elif request.expires_at <= now:
            flags.append(str(_("Expired")))
        details = [request.get_role_display(), request.location]
        if request.remote:
            details.append(str(_("Remote is fine")))
        cards[request.id] = Card(
            url=request.get_absolute_url(),
            title=request.title,
            created_at=request.created_at,
            author=request.author,
            details=[d for d in details if d],
            flags=flags,
        )
    return cards


register_kind(
    SearchKind(
        name=LAUNCH,
        documents=launch_documents,
        all_ids=lambda: Launch.objects.values_list("id", flat=True),
        visibility=launch_visibility,
        label=_("Launches"),
        noun=_("Launch"),
        order=90,
        param="launches",
        cards=launch_cards,
    )
)
register_kind(
    SearchKind(
        name=PARTNER,
        documents=partner_documents,
        all_ids=lambda: PartnerRequest.objects.values_list("id", flat=True),
        visibility=partner_visibility,
        label=_("Partner requests"),
        noun=_("Partner request"),
        order=100,
        param="partners",
        cards=partner_cards,
    )
)
follow(Launch, LAUNCH)
follow(PartnerRequest, PARTNER)
