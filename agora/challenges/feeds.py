"""RSS 2.0 and Atom feeds of challenges and their results (what any visitor may see: the
challenges are public pages)."""

from __future__ import annotations

from django.contrib.syndication.views import Feed

from agora.challenges.models import Challenge
from agora.forum.feeds import StandardRssFeed, atom

FEED_SIZE = 30


class ChallengesFeed(Feed):
    feed_type = StandardRssFeed
    title = "Agora — challenges"
    link = "/challenges/"
    description = "Model challenges on Agora: new ones, and results when they close."

    def items(self):
        return Challenge.objects.select_related("creator").order_by("-created_at", "-id")[
            :FEED_SIZE
        ]

    def item_title(self, item: Challenge) -> str:
        return item.title

    def item_description(self, item: Challenge) -> str:
        return item.description_html

    def item_link(self, item: Challenge) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Challenge):
        return item.created_at

    def item_updateddate(self, item: Challenge):
        return item.frozen_at or item.created_at

    def item_author_name(self, item: Challenge) -> str:
        return item.creator.name

    def item_categories(self, item: Challenge) -> list[str]:
        return [item.task, item.dataset]


ChallengesAtomFeed = atom(ChallengesFeed)
