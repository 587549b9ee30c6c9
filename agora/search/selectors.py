"""Searches as the site asks them: the search page, the header box, related topics. Each costs
a constant number of queries whatever it finds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from time import monotonic

from django.utils import timezone
from django.utils.safestring import SafeString

from agora.accounts.models import User
from agora.forum.models import Bookmark, Category, Post, Tag, Topic
from agora.forum.permissions import CategoryAccess, category_access_for
from agora.search import query as q
from agora.search.kinds import MEMBER, POST, TAG
from agora.search.registry import Card, SearchKind, get_kind, kinds_in_order
from agora.search.snippets import highlight

PAGE_SIZE = 20
STATUSES = ("open", "closed", "solved")
NO_CATEGORY = Category(id=0, slug="", name="")  # a filter that matches nothing


@dataclass
class PostFilters:
    category: Category | None = None
    tag: Tag | None = None
    author: User | None = None
    after: date | None = None
    before: date | None = None
    bookmarks: bool = False
    status: str = ""
    newest: bool = False


POST_RESULT_FIELDS = (
    "number",
    "created_at",
    "topic__title",
    "topic__category__name",
    "topic__category__name_zh",
    "author__username",
    "author__display_name",
)


@dataclass
class PostResult:
    post: Post
    snippet: SafeString
    title: SafeString

    # The generic result row (search/_result.html) reads these.
    @property
    def url(self) -> str:
        return self.post.get_absolute_url()

    @property
    def kind_label(self) -> str:
        return str(get_kind(POST).noun)

    @property
    def author(self) -> User:
        return self.post.author

    @property
    def created_at(self) -> datetime:
        return self.post.created_at

    @property
    def details(self) -> list[str]:
        category = self.post.topic.category
        return [category.display_name] if category else []

    thumbnail = ""
    blurred = False
    flags = ()


@dataclass
class Result:
    """A found work, model, article, resource, event, launch or partner request."""

    kind: SearchKind
    card: Card
    title: SafeString
    snippet: SafeString

    @property
    def kind_label(self) -> str:
        return str(self.kind.noun or self.kind.label)

    @property
    def url(self) -> str:
        return self.card.url

    @property
    def author(self):
        return self.card.author

    @property
    def created_at(self) -> datetime:
        return self.card.created_at

    @property
    def thumbnail(self) -> str:
        return self.card.thumbnail

    @property
    def blurred(self) -> bool:
        return self.card.blurred

    @property
    def details(self) -> list[str]:
        return self.card.details

    @property
    def flags(self) -> list[str]:
        return self.card.flags


@dataclass
class ResultPage:
    results: list = field(default_factory=list)
    has_next: bool = False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _post_filters(filters: PostFilters, viewer: User, access: CategoryAccess) -> q.Filters:
    sql = q.Filters()
    if filters.category is not None:
        ids = [filters.category.id] + [
            c.id for c in access.visible_categories() if c.parent_id == filters.category.id
        ]
        sql.add(f"t.category_id IN ({', '.join(['%s'] * len(ids))})", *ids)
    if filters.tag is not None:
        through = Topic.tags.through._meta.db_table
        sql.add(
            f"EXISTS (SELECT 1 FROM {through} tt WHERE tt.topic_id = t.id AND tt.tag_id = %s)",  # noqa: S608
            filters.tag.id,
        )
    if filters.author is not None:
        sql.add("d.author_id = %s", filters.author.id)
    if filters.after is not None:
        sql.add("d.created_at >= %s", _day_start(filters.after))
    if filters.before is not None:
        sql.add("d.created_at < %s", _day_start(filters.before + timedelta(days=1)))
    if filters.bookmarks:
        table = Bookmark._meta.db_table
        sql.add(
            f"EXISTS (SELECT 1 FROM {table} b WHERE b.post_id = d.object_id AND b.user_id = %s)",  # noqa: S608
            viewer.pk if viewer.is_authenticated else 0,
        )
    if filters.status == "open":
        sql.add("t.closed = %s", False)
    elif filters.status == "closed":
        sql.add("t.closed = %s", True)
    elif filters.status == "solved":
        sql.add("t.accepted_answer_id IS NOT NULL")
    return sql


def search_posts(
    *,
    text: str,
    viewer: User,
    access: CategoryAccess,
    filters: PostFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ResultPage:
    filters = filters or PostFilters()
    parsed = q.parse(text)
    hits = q.search(
        kind=POST,
        query=parsed,
        visibility=get_kind(POST).visibility(viewer, access),
        filters=_post_filters(filters, viewer, access),
        newest=filters.newest,
        offset=(page - 1) * page_size,
        limit=page_size + 1,
    )
    has_next = len(hits) > page_size
    hits = hits[:page_size]
    # Only what a result row shows: the post's text (raw and cooked, the largest columns) comes
    # from the search document, not the post.
    posts = (
        Post.objects.select_related("topic__category", "author")
        .only(*POST_RESULT_FIELDS)
        .in_bulk([h.document.object_id for h in hits])
    )
    results = [
        PostResult(
            post=posts[h.document.object_id],
            snippet=highlight(h.document.body, parsed),
            title=highlight(h.document.title, parsed, width=300),
        )
        for h in hits
        if h.document.object_id in posts
    ]
    return ResultPage(results=results, has_next=has_next)


def search_members(*, text: str, viewer: User, access: CategoryAccess, limit: int) -> list[User]:
    hits = q.search(
        kind=MEMBER,
        query=q.parse(text),
        visibility=get_kind(MEMBER).visibility(viewer, access),
        limit=limit,
    )
    members = User.objects.in_bulk([h.document.object_id for h in hits])
    return [members[h.document.object_id] for h in hits if h.document.object_id in members]


def search_tags(*, text: str, viewer: User, access: CategoryAccess, limit: int) -> list[Tag]:
    hits = q.search(
        kind=TAG,
        query=q.parse(text),
        visibility=get_kind(TAG).visibility(viewer, access),
        limit=limit,
    )
    tags = Tag.objects.in_bulk([h.document.object_id for h in hits])
    return [tags[h.document.object_id] for h in hits if h.document.object_id in tags]


def search_kind(
    *,
    kind: SearchKind,
    text: str,
    viewer: User,
    access: CategoryAccess,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ResultPage:
    """One page of a kind with cards (works, models, ...): the search, then the cards of what
    it found, so the cost does not depend on how much is found."""
    parsed = q.parse(text)
    hits = q.search(
        kind=kind.name,
        query=parsed,
        visibility=kind.visibility(viewer, access),
        offset=(page - 1) * page_size,
        limit=page_size + 1,
    )
    has_next = len(hits) > page_size
    hits = hits[:page_size]
    cards = kind.cards([h.document.object_id for h in hits], viewer) if hits and kind.cards else {}
    results = [
        Result(
            kind=kind,
            card=card,
            title=highlight(card.title, parsed, width=300),
            snippet=highlight(h.document.body, parsed),
        )
        for h in hits
        if (card := cards.get(h.document.object_id)) is not None
    ]
    return ResultPage(results=results, has_next=has_next)


COUNT_CAP = 100  # a tab shows "100+" beyond


def kind_counts(*, text: str, viewer: User, access: CategoryAccess) -> dict[str, int]:
    """How many results each kind of the search page holds for the viewer (up to COUNT_CAP),
    by the search's own rule: every word, else its fallbacks in order (query.fallbacks). Keyed
    by the kind's choice; one query per kind, more only for kinds that hold every word of
    nothing."""
    parsed = q.parse(text)
    if not parsed:
        return {}
    whole, fallbacks = q.strict(parsed), None
    counts = {}
    for kind in kinds_in_order():
        visibility = kind.visibility(viewer, access)
        found = q.count(kind=kind.name, match=whole, visibility=visibility, cap=COUNT_CAP)
        if not found and len(parsed.terms) > 1:
            if fallbacks is None:  # asked once, for the first kind that needs them
                fallbacks = q.fallbacks(parsed)
            for match in fallbacks:
                found = q.count(kind=kind.name, match=match, visibility=visibility, cap=COUNT_CAP)
                if found:
                    break
        counts[kind.choice] = found
    return counts


@dataclass
class QuickGroup:
    kind: SearchKind
    results: list

    @property
    def label(self) -> str:
        return str(self.kind.label)


QUICK_LIMIT = 3  # results per kind


def quick_search(*, text: str, viewer: User, access: CategoryAccess) -> dict[str, object]:
    """The header box: the best few of every kind, grouped by kind in the page's order; kinds
    without a match are left out (and cost only their search)."""
    groups: list[QuickGroup] = []
    if not q.parse(text):
        return {"groups": groups}
    for kind in kinds_in_order():
        results: list
        if kind.name == POST:
            found = search_posts(text=text, viewer=viewer, access=access, page_size=QUICK_LIMIT)
            results = found.results
        elif kind.name == MEMBER:
            results = search_members(text=text, viewer=viewer, access=access, limit=QUICK_LIMIT)
        elif kind.name == TAG:
            results = search_tags(text=text, viewer=viewer, access=access, limit=QUICK_LIMIT)
        elif kind.cards is not None:
            found = search_kind(
                kind=kind, text=text, viewer=viewer, access=access, page_size=QUICK_LIMIT
            )
            results = found.results
        else:
            continue
        if results:
            groups.append(QuickGroup(kind=kind, results=results))
    return {"groups": groups}


def related_topics(
    topic: Topic, viewer: User, limit: int = 5, *, access: CategoryAccess | None = None
) -> list[Topic]:
    """Topics whose title or first post shares words with this topic's title, best first."""
    access = access if access is not None else category_access_for(viewer)
    words = [w for w in q.parse(topic.title).words if len(w) > 1][: q.MAX_TERMS]
    parsed = q.ParsedQuery([q.Term((w,)) for w in words])
    filters = q.Filters()
    filters.add("d.title_text <> %s", "")
    filters.add("d.topic_id <> %s", topic.id)
    hits = q.search(
        kind=POST,
        query=parsed,
        visibility=get_kind(POST).visibility(viewer, access),
        filters=filters,
        any_term=True,
        limit=limit,
    )
    topics = Topic.objects.select_related("category").in_bulk([h.document.topic_id for h in hits])
    return [topics[h.document.topic_id] for h in hits if h.document.topic_id in topics]


# Related topics change only when the index or a topic does; a topic page asks on every view.
# The answers are kept per process for RELATED_TTL seconds, per topic, viewer (private messages
# they take part in) and visible categories; this process forgets them at once when it indexes
# or saves a topic (other processes within RELATED_TTL).
RELATED_TTL = 60.0
_RELATED_MAX = 4096
_related: dict[tuple, tuple[float, list[Topic]]] = {}


def forget_related(**kwargs) -> None:
    _related.clear()


def cached_related_topics(
    topic: Topic, viewer: User, limit: int = 5, *, access: CategoryAccess
) -> list[Topic]:
    """related_topics(), kept for RELATED_TTL seconds."""
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else 0
    key = (topic.id, topic.title, viewer_id, limit, tuple(access.visible_ids()))
    now = monotonic()
    found = _related.get(key)
    if found is not None and found[0] > now:
        return found[1]
    topics = related_topics(topic, viewer, limit, access=access)
    if len(_related) >= _RELATED_MAX:
        _related.clear()
    _related[key] = (now + RELATED_TTL, topics)
    return topics
