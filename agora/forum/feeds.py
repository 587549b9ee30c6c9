"""RSS 2.0 and Atom feeds of latest topics, a category, a tag and a topic. Feeds are read by
anonymous clients, so they show exactly what an anonymous visitor may see."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from agora.core.text import absolute_urls, normalize_text, xml_safe
from agora.forum import permissions, selectors
from agora.forum.models import Post, Tag, Topic

FEED_SIZE = 30


def _xml_safe(value):
    if isinstance(value, str):
        return xml_safe(normalize_text(value))
    if isinstance(value, (list, tuple)):
        return [_xml_safe(v) for v in value]
    return value


class _StandardFeed:
    """What every feed writes, whatever is stored: only characters XML 1.0 can carry (one
    control character used to make the whole feed answer 500), content whose links and images
    are absolute (a feed reader is not on our site), and an entry `updated` never earlier than
    its `published` (RFC 4287 4.2.15 requires `updated` on every Atom entry)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{k: _xml_safe(v) for k, v in kwargs.items()})
        link = urlsplit(self.feed["link"])
        self.origin = f"{link.scheme}://{link.netloc}"

    def add_item(self, *args, **kwargs):
        kwargs = {k: _xml_safe(v) for k, v in kwargs.items()}
        if kwargs.get("description"):
            kwargs["description"] = absolute_urls(kwargs["description"], base=self.origin)
        published, updated = kwargs.get("pubdate"), kwargs.get("updateddate")
        if published is not None and (updated is None or updated < published):
            kwargs["updateddate"] = published
        super().add_item(*args, **kwargs)


class StandardRssFeed(_StandardFeed, Rss201rev2Feed):
    pass


class StandardAtomFeed(_StandardFeed, Atom1Feed):
    pass


def _anonymous_access():
    return permissions.category_access_for(AnonymousUser())


class LatestTopicsFeed(Feed):
    feed_type = StandardRssFeed
    title = "Agora — latest topics"
    link = "/latest/"
    description = "The latest topics on Agora."

    def get_object(self, request, **kwargs):
        return None

    def topics(self, obj) -> list[Topic]:
        access = _anonymous_access()
        return selectors.latest_topics(
            viewer=AnonymousUser(), access=access, limit=FEED_SIZE
        ).topics

    def items(self, obj):
        return self.topics(obj)

    def item_title(self, item: Topic) -> str:
        return item.title

    def item_description(self, item: Topic) -> str:
        first = (
            item.posts.filter(number=1).only("html", "deleted_at", "hidden", "author_id").first()
        )
        if first is None or not permissions.can_read_post_text(AnonymousUser(), first):
            return ""  # a first post hidden by flags: the topic is listed, its text is not
        return first.html

    def item_link(self, item: Topic) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Topic):
        return item.created_at

    def item_updateddate(self, item: Topic):
        return item.bumped_at

    def item_author_name(self, item: Topic) -> str:
        return item.author.name

    def item_categories(self, item: Topic) -> list[str]:
        return [t.name for t in item.tags.all()]


class CategoryFeed(LatestTopicsFeed):
    def get_object(self, request, slug: str):
        return selectors.get_category_for_viewer(slug=slug, access=_anonymous_access())

    def title(self, obj) -> str:
        return f"Agora — {obj.name}"

    def link(self, obj) -> str:
        return obj.get_absolute_url()

    def description(self, obj) -> str:
        return obj.description or obj.name

    def topics(self, obj) -> list[Topic]:
        access = _anonymous_access()
        return selectors.latest_topics(
            viewer=AnonymousUser(), access=access, category=obj, limit=FEED_SIZE
        ).topics


class TagFeed(LatestTopicsFeed):
    def get_object(self, request, name: str):
        try:
            return Tag.objects.get(name=name.lower())
        except Tag.DoesNotExist as exc:
            raise Http404("No such tag") from exc

    def title(self, obj) -> str:
        return f"Agora — #{obj.name}"

    def link(self, obj) -> str:
        return obj.get_absolute_url()

    def description(self, obj) -> str:
        return obj.description or f"#{obj.name}"

    def topics(self, obj) -> list[Topic]:
        access = _anonymous_access()
        return selectors.latest_topics(
            viewer=AnonymousUser(), access=access, tag=obj, limit=FEED_SIZE
        ).topics


class TopicFeed(Feed):
    feed_type = StandardRssFeed

    def get_object(self, request, topic_id: int):
        return selectors.get_topic_for_viewer(
            topic_id=topic_id, viewer=AnonymousUser(), access=_anonymous_access()
        )

    def title(self, obj: Topic) -> str:
        return obj.title

    def link(self, obj: Topic) -> str:
        return obj.get_absolute_url()

    def description(self, obj: Topic) -> str:
        return obj.title

    def items(self, obj: Topic):
        posts = selectors.readable_posts(
            viewer=AnonymousUser(), access=_anonymous_access(), queryset=obj.posts.all()
        )
        return list(posts.select_related("author", "topic").order_by("-number")[:FEED_SIZE])

    def item_title(self, item: Post) -> str:
        return f"{item.topic.title} #{item.number}"

    def item_description(self, item: Post) -> str:
        return item.html

    def item_link(self, item: Post) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Post):
        return item.created_at

    def item_updateddate(self, item: Post):
        return item.edited_at or item.created_at

    def item_author_name(self, item: Post) -> str:
        return item.author.name


def atom(feed_class: type[Feed]) -> Feed:
    """The same feed in Atom 1.0."""
    return type(f"Atom{feed_class.__name__}", (feed_class,), {"feed_type": StandardAtomFeed})()
