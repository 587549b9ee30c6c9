"""Challenges and contests in search: found by title (both languages), description, task, data
set and theme. Both are public pages, so every viewer may find them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.challenges.models import Challenge, Contest
from agora.core.markdown import to_plain_text
from agora.search.receivers import follow
from agora.search.registry import Card, Document, SearchKind, register_kind

CHALLENGE = "challenge"
CONTEST = "contest"


def challenge_documents(ids: list[int]) -> dict[int, Document]:
    return {
        c.id: Document(
            object_id=c.id,
            title=c.title,
            body=" ".join(
                filter(
                    None,
                    [
                        c.title_zh,
                        to_plain_text(c.description_html),
                        to_plain_text(c.description_zh_html) if c.description_zh_html else "",
                    ],
                )
            ),
            keywords=f"{c.task} {c.dataset} {c.metric}",
            created_at=c.created_at,
            author_id=c.creator_id,
        )
        for c in Challenge.objects.filter(id__in=ids)
    }


def challenge_cards(ids: list[int], viewer) -> dict[int, Card]:
    return {
        c.id: Card(
            url=c.get_absolute_url(),
            title=c.localized_title,
            created_at=c.created_at,
            author=c.creator,
            details=[c.task, c.dataset, c.metric],
        )
        for c in Challenge.objects.select_related("creator").in_bulk(ids).values()
    }


def contest_documents(ids: list[int]) -> dict[int, Document]:
    return {
        c.id: Document(
            object_id=c.id,
            title=c.title,
            body=" ".join([c.theme, to_plain_text(c.rules_html) if c.rules_html else ""]),
            created_at=c.created_at,
            author_id=c.creator_id,
        )
        for c in Contest.objects.filter(id__in=ids)
    }


def contest_cards(ids: list[int], viewer) -> dict[int, Card]:
    return {
        c.id: Card(
            url=c.get_absolute_url(),
            title=c.title,
            created_at=c.created_at,
            author=c.creator,
            details=[c.theme],
        )
        for c in Contest.objects.select_related("creator").in_bulk(ids).values()
    }


register_kind(
    SearchKind(
        name=CHALLENGE,
        documents=challenge_documents,
        all_ids=lambda: Challenge.objects.values_list("id", flat=True),
        label=_("Challenges"),
        noun=_("Challenge"),
        order=55,
        cards=challenge_cards,
    )
)
register_kind(
    SearchKind(
        name=CONTEST,
        documents=contest_documents,
        all_ids=lambda: Contest.objects.values_list("id", flat=True),
        label=_("Contests"),
        noun=_("Contest"),
        order=56,
        cards=contest_cards,
    )
)
follow(Challenge, CHALLENGE)
follow(Contest, CONTEST)
