"""Reads of the forum. Every function takes the viewer's CategoryAccess so nothing outside what
they may see is ever returned, and fetches related rows up front (constant queries per page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, DateTimeField, Exists, Func, IntegerField, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agora.accounts.models import User
from agora.core import trending
from agora.core.paging import decode_cursor, encode_cursor, keyset_page
from agora.forum import permissions
from agora.forum.models import (
    Bookmark,
    Category,
    CategoryUser,
    Draft,
    Like,
    Post,
    Tag,
    Topic,
    TopicUser,
)
from agora.forum.permissions import CategoryAccess

TOPICS_PER_PAGE = 30
POSTS_PER_PAGE = 20
TOP_PERIODS = {
    # the week's topics ranked by agora.core.trending's score (likes, replies, views, decay)
    "trending": trending.WINDOW,
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
    "all": None,
}
NEW_TOPIC_AGE = timedelta(days=7)


@dataclass
class TopicPage:
    topics: list[Topic]
    next_cursor: str | None


class _Unindexed(Func):
    """A column the SQLite planner must not pick an index for (`+column`, see "Disqualifying
    WHERE clause terms" in sqlite.org/optoverview.html). Without planner statistics SQLite would
    use the category index for "category in (every visible one)" and sort every topic; the lists
    want `topic_bumped` (or the pinned partial index) instead. Other databases plan from their
    statistics and get the plain column."""

    arity = 1
    template = "%(expressions)s"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="+%(expressions)s", **extra_context)


def _listable(viewer: User, access: CategoryAccess) -> QuerySet[Topic]:
    return Topic.objects.alias(visible_category=_Unindexed("category_id")).filter(
        visible_category__in=access.visible_ids(), is_private=False, deleted_at=None
    )


# Member columns a topic list never shows (authors come along for feeds and the API).
_UNLISTED_MEMBER_FIELDS = [
    "password",
    "last_login",
    "first_name",
    "last_name",
    "email",
    "date_joined",
    "bio",
    "links",
    "skills",
    "interests",
    "language",
    "timezone",
]


def _decorate(queryset: QuerySet[Topic], viewer: User, authors: bool = True) -> QuerySet[Topic]:
    """The viewer's read position, and with `authors` each topic's author and tags (feeds and
    the API read them); without, the rows' tag names come from `_finish` as `row_tags`, which
    is all a topic list shows and costs a fraction. Categories come from the viewer's access
    (already loaded) in `_finish`, so the list query joins no category."""
    if authors:
        queryset = (
            queryset.select_related("author")
            .defer(*[f"author__{name}" for name in _UNLISTED_MEMBER_FIELDS])
            .prefetch_related("tags")
        )
    if viewer.is_authenticated:
        queryset = queryset.annotate(
            viewer_last_read=TopicUser.objects.filter(topic=OuterRef("pk"), user=viewer).values(
                "last_read_post_number"
            )[:1]
        )
    return queryset


def _finish(topics: list[Topic], access: CategoryAccess | None, authors: bool) -> list[Topic]:
    """Categories from the viewer's access; without authors, tag names for the rows."""
    for topic in topics:
        if topic.category_id is not None:
            category = access.categories.get(topic.category_id) if access else None
            if category is not None:
                topic.category = category
    if not authors and topics:
        names: dict[int, list[str]] = {topic.id: [] for topic in topics}
        with connection.cursor() as cursor:
            cursor.execute(_ROW_TAGS.format(ids=_in(list(names))), list(names))
            for topic_id, name in cursor.fetchall():
                names[topic_id].append(name)
        for topic in topics:
            topic.row_tags = names[topic.id]
    return topics


def _keyset(
    queryset: QuerySet[Topic],
    cursor: str | None,
    limit: int,
    access: CategoryAccess | None = None,
    authors: bool = True,
) -> TopicPage:
    rows, next_cursor = keyset_page(
        queryset,
        key="bumped_at",
        cursor=cursor,
        limit=limit,
        finish=lambda found: _finish(found, access, authors),
    )
    return TopicPage(rows, next_cursor)


# The rows of the topic lists (latest, a category, a tag; the pinned ones above them), written
# out: building and compiling the querysets of `latest_topics` and `pinned_topics` cost several
# times what running them did. Plain parameterised SQL, the same on SQLite and PostgreSQL, giving
# what `_keyset`/`_decorate(authors=False)`/`_finish` give (test_lists.py checks both agree).
_ROW_COLUMNS = (
    "t.id, t.title, t.category_id, t.bumped_at, t.highest_post_number, t.post_count,"
    " t.like_count, t.view_count, t.pinned_globally, t.pinned_in_category, t.closed,"
    " t.accepted_answer_id, t.image"
)
_VIEWER_LAST_READ = (
    ", (SELECT tu.last_read_post_number FROM forum_topicuser tu"
    " WHERE tu.topic_id = t.id AND tu.user_id = %s) AS viewer_last_read"
)
_ROW_TAGS = (
    "SELECT tt.topic_id, g.name FROM forum_topic_tags tt INNER JOIN forum_tag g"
    " ON g.id = tt.tag_id WHERE tt.topic_id IN ({ids}) ORDER BY g.name"
)


def _in(values: list[int]) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _listed_page(
    viewer: User,
    access: CategoryAccess,
    category: Category | None,
    tag: Tag | None,
    cursor: str | None,
    limit: int,
    exclude_ids: list[int],
    *,
    pinned: bool,
) -> TopicPage:
    """A page of list rows by last activity; with `pinned`, the pinned topics (no paging)."""
    visible = access.visible_ids()
    # As `_Unindexed`: on SQLite the visible categories must not pick the category index.
    plus = "+" if connection.vendor == "sqlite" else ""
    where = [f"{plus}t.category_id IN ({_in(visible)})", "NOT t.is_private", "t.deleted_at IS NULL"]
    params: list = [*visible]
    if pinned and category is None:
        where.append("t.pinned_globally")
    elif pinned:  # through the pinned partial index, not the category's own topics
        where.append(f"(t.pinned_globally OR t.pinned_in_category) AND {plus}t.category_id = %s")
        params.append(category.id)
    elif category is not None:
        ids = [
            category.id,
            *[c.id for c in access.categories.values() if c.parent_id == category.id],
        ]
        where.append(f"t.category_id IN ({_in(ids)})")
        params += ids
    if exclude_ids:
        where.append(f"t.id NOT IN ({_in(exclude_ids)})")
        params += exclude_ids
    if tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM forum_topic_tags tt WHERE tt.topic_id = t.id AND tt.tag_id = %s)"
        )
        params.append(tag.id)
    position = None if pinned else decode_cursor(cursor)
    if position is not None:
        value, pk = position
        moment = connection.ops.adapt_datetimefield_value(value)
        where.append("t.bumped_at <= %s AND (t.bumped_at < %s OR t.id < %s)")
        params += [moment, moment, pk]
    member = viewer.is_authenticated
    sql = (
        f"SELECT {_ROW_COLUMNS}{_VIEWER_LAST_READ if member else ''} FROM forum_topic t"  # noqa: S608
        f" WHERE {' AND '.join(where)} ORDER BY t.bumped_at DESC, t.id DESC LIMIT %s"
    )
    params = [*([viewer.pk] if member else []), *params, limit if pinned else limit + 1]
    topics = _finish(list(Topic.objects.raw(sql, params)), access, authors=False)
    next_cursor = None
    if len(topics) > limit:
        last = topics[limit - 1]
        next_cursor = encode_cursor(last.bumped_at, last.id)
    return TopicPage(topics[:limit], next_cursor)


def latest_topics(
    *,
    viewer: User,
    access: CategoryAccess,
    category: Category | None = None,
    tag: Tag | None = None,
    cursor: str | None = None,
    limit: int = TOPICS_PER_PAGE,
    exclude_ids: list[int] | None = None,
    authors: bool = True,
) -> TopicPage:
    """One page of topics by last activity; `authors=False` for pages that show only rows."""
    if not authors:
        return _listed_page(
            viewer, access, category, tag, cursor, limit, exclude_ids or [], pinned=False
        )
    queryset = _listable(viewer, access)
    if exclude_ids:
        queryset = queryset.exclude(id__in=exclude_ids)  # pinned ones, already shown on top
    if category is not None:
        ids = [
            category.id,
            *[c.id for c in access.categories.values() if c.parent_id == category.id],
        ]
        queryset = queryset.filter(category_id__in=ids)
    if tag is not None:
        queryset = queryset.filter(tags=tag)
    return _keyset(_decorate(queryset, viewer, authors), cursor, limit, access, authors)


def pinned_topics(
    *, viewer: User, access: CategoryAccess, category: Category | None, authors: bool = True
) -> list[Topic]:
    """Pinned topics shown above the first page: site-wide ones, and the category's own."""
    if not authors:
        return _listed_page(viewer, access, category, None, None, 10, [], pinned=True).topics
    queryset = _listable(viewer, access)
    if category is None:
        queryset = queryset.filter(pinned_globally=True)
    else:
        # Through the pinned partial index, not the category's own topics.
        queryset = queryset.filter(
            Q(pinned_globally=True) | Q(pinned_in_category=True), visible_category=category.id
        )
    rows = list(_decorate(queryset, viewer, authors).order_by("-bumped_at")[:10])
    return _finish(rows, access, authors)


def top_topics(
    *,
    viewer: User,
    access: CategoryAccess,
    period: str,
    page: int = 1,
    limit: int = TOPICS_PER_PAGE,
    authors: bool = True,
) -> tuple[list[Topic], bool]:
    queryset = _listable(viewer, access)
    span = TOP_PERIODS.get(period, TOP_PERIODS["week"])
    if period == "trending":  # walk topic_trending in order, checking the week on the way
        queryset = queryset.alias(made=_Unindexed("created_at", output_field=DateTimeField()))
        queryset = queryset.filter(made__gte=timezone.now() - span)
    elif span is not None:
        queryset = queryset.filter(created_at__gte=timezone.now() - span)
    page = max(1, min(page, 100))
    # each order has its index: topic_trending, topic_top
    order = (
        ("-trending_score", "-id")
        if period == "trending"
        else ("-like_count", "-post_count", "-id")
    )
    queryset = _decorate(queryset, viewer, authors).order_by(*order)
    rows = _finish(list(queryset[(page - 1) * limit : page * limit + 1]), access, authors)
    return rows[:limit], len(rows) > limit


def trending_topics(*, viewer: User, access: CategoryAccess, limit: int = 5) -> list[Topic]:
    """The home page's strip: the week's topics by trending score, titles and counts only (one
    query, through the topic_trending index)."""
    # the week's bound is checked on the rows the index walk reads, not used to pick an index
    since = timezone.now() - trending.WINDOW
    queryset = (
        _listable(viewer, access)
        .alias(made=_Unindexed("created_at", output_field=DateTimeField()))
        .filter(made__gte=since)
    )
    fields = ("id", "title", "like_count", "post_count", "created_at", "category_id")
    return list(queryset.only(*fields).order_by("-trending_score", "-id")[:limit])


def new_topics(
    *, viewer: User, access: CategoryAccess, cursor: str | None = None, authors: bool = True
) -> TopicPage:
    """Recent topics the member has never opened."""
    queryset = _listable(viewer, access).filter(created_at__gte=timezone.now() - NEW_TOPIC_AGE)
    if viewer.is_authenticated:
        queryset = queryset.exclude(
            Exists(TopicUser.objects.filter(topic=OuterRef("pk"), user=viewer))
        )
    return _keyset(_decorate(queryset, viewer, authors), cursor, TOPICS_PER_PAGE, access, authors)


def unread_topics(
    *, viewer: User, access: CategoryAccess, cursor: str | None = None, authors: bool = True
) -> TopicPage:
    """Topics the member has opened that have posts past their read position."""
    if not viewer.is_authenticated:
        return TopicPage([], None)
    unread = TopicUser.objects.filter(
        topic=OuterRef("pk"),
        user=viewer,
        last_read_post_number__lt=OuterRef("highest_post_number"),
        notification_level__gt=0,
    )
    queryset = _listable(viewer, access).filter(Exists(unread))
    return _keyset(_decorate(queryset, viewer, authors), cursor, TOPICS_PER_PAGE, access, authors)


def private_topics(*, viewer: User, cursor: str | None = None) -> TopicPage:
    queryset = Topic.objects.filter(is_private=True, participants=viewer, deleted_at=None)
    return _keyset(_decorate(queryset, viewer), cursor, TOPICS_PER_PAGE)


def unread_counts(*, viewer: User, access: CategoryAccess) -> dict[str, int]:
    if not viewer.is_authenticated:
        return {"new": 0, "unread": 0}
    base = _listable(viewer, access)
    seen = TopicUser.objects.filter(topic=OuterRef("pk"), user=viewer)
    new = base.filter(created_at__gte=timezone.now() - NEW_TOPIC_AGE).exclude(Exists(seen)).count()
    unread = base.filter(
        Exists(
            seen.filter(
                last_read_post_number__lt=OuterRef("highest_post_number"), notification_level__gt=0
            )
        )
    ).count()
    return {"new": new, "unread": unread}


def get_category_for_viewer(*, slug: str, access: CategoryAccess) -> Category:
    for category in access.categories.values():
        if category.slug == slug and access.level(category.id) >= 1:
            return category
    raise Http404("No such category")


def get_topic_for_viewer(
    *, topic_id: int, viewer: User, access: CategoryAccess, related: bool = True
) -> Topic:
    """The topic if the viewer may see it, else 404. With related=False (the topic page) only
    the category is attached, from the viewer's access; author and accepted answer load when
    first read."""
    try:
        if related:
            topic = Topic.objects.select_related("category", "author", "accepted_answer").get(
                pk=topic_id
            )
        else:
            topic_id = int(topic_id)
            if not 0 < topic_id < 2**63:  # beyond any id (and the database's integers)
                raise Topic.DoesNotExist
            # One row by key, run as written (the queryset `Topic.objects.get(pk=...)` costs
            # twice as much to build as to run).
            found = list(Topic.objects.raw("SELECT * FROM forum_topic WHERE id = %s", [topic_id]))
            if not found:
                raise Topic.DoesNotExist
            topic = found[0]
            if topic.category_id in access.categories:
                topic.category = access.categories[topic.category_id]
    except Topic.DoesNotExist as exc:
        raise Http404("No such topic") from exc
    if not permissions.can_see_topic(viewer, topic, access):
        raise Http404("No such topic")  # a private topic's existence is not revealed
    return topic


def get_post_for_viewer(*, post_id: int, viewer: User, access: CategoryAccess) -> Post:
    try:
        post = Post.objects.select_related("topic", "topic__category", "author").get(pk=post_id)
    except Post.DoesNotExist as exc:
        raise Http404("No such post") from exc
    if not permissions.can_see_topic(viewer, post.topic, access):
        raise Http404("No such post")
    if post.deleted_at is not None and not (
        permissions.is_staff(viewer) or post.author_id == getattr(viewer, "pk", None)
    ):
        raise Http404("No such post")
    return post


# What a topic page shows of a post, its author and the post it replies to (not the replied
# post's text, nor the members' profiles).
_POST_COLUMNS = (
    "id",
    "number",
    "author_id",
    "raw",
    "html",
    "reply_to_id",
    "created_at",
    "edited_at",
    "revision_count",
    "like_count",
    "deleted_at",
    "deleted_by_id",
    "hidden",
    "author__username",
    "author__display_name",
    "author__avatar",
    "author__is_staff",
    "author__is_active",
    "reply_to__number",
    "reply_to__author_id",
    "reply_to__author__username",
    "reply_to__author__display_name",
)


class PostAuthor:
    """The member columns a topic page shows (what `post.author` gives the page)."""

    __slots__ = ("avatar", "display_name", "id", "is_active", "is_staff", "username")

    def __init__(self, id, username, display_name, avatar="", is_staff=False, is_active=True):
        self.id = id
        self.username = username
        self.display_name = display_name
        self.avatar = avatar
        self.is_staff = is_staff
        self.is_active = is_active

    @property
    def pk(self) -> int:
        return self.id

    @property
    def name(self) -> str:
        return self.display_name or self.username  # as User.name

    def get_absolute_url(self) -> str:
        return reverse("profile", kwargs={"username": self.username})  # as User.get_absolute_url


class RepliedPost:
    """The post a reply answers: its number and author."""

    __slots__ = ("author", "author_id", "id", "number")

    def __init__(self, id, number, author_id, author):
        self.id = id
        self.number = number
        self.author_id = author_id
        self.author = author


class PostRow:
    """A post as the topic page shows it: Post's columns, `author`, `reply_to`, and for members
    `viewer_liked` / `viewer_bookmarked`. Read straight from the row; no model instances."""

    __slots__ = (
        "author",
        "author_id",
        "created_at",
        "deleted_at",
        "deleted_by_id",
        "edited_at",
        "hidden",
        "html",
        "id",
        "like_count",
        "number",
        "raw",
        "reply_to",
        "reply_to_id",
        "revision_count",
        "rights",
        "topic",
        "topic_id",
        "viewer_bookmarked",
        "viewer_liked",
    )

    @property
    def pk(self) -> int:
        return self.id


_AVATAR = User._meta.get_field("avatar")


def _avatar(name: str | None):
    """What `user.avatar` gives: a FieldFile, false when empty."""
    return _AVATAR.attr_class(None, _AVATAR, name or "")


def _post_row(values: tuple, topic: Topic, member: bool) -> PostRow:
    (
        pid,
        number,
        author_id,
        raw,
        html,
        reply_to_id,
        created_at,
        edited_at,
        revision_count,
        like_count,
        deleted_at,
        deleted_by_id,
        hidden,
        username,
        display_name,
        avatar,
        is_staff,
        is_active,
        reply_number,
        reply_author_id,
        reply_username,
        reply_display_name,
        *viewer,
    ) = values
    row = PostRow()
    row.id, row.number, row.author_id = pid, number, author_id
    row.topic, row.topic_id = topic, topic.id
    row.raw, row.html, row.reply_to_id, row.created_at = raw, html, reply_to_id, created_at
    row.edited_at, row.revision_count, row.like_count = edited_at, revision_count, like_count
    row.deleted_at, row.deleted_by_id, row.hidden = deleted_at, deleted_by_id, bool(hidden)
    row.author = PostAuthor(
        author_id, username, display_name, _avatar(avatar), bool(is_staff), bool(is_active)
    )
    row.reply_to = None
    if reply_to_id is not None and reply_number is not None:
        replied_author = PostAuthor(reply_author_id, reply_username, reply_display_name)
        row.reply_to = RepliedPost(reply_to_id, reply_number, reply_author_id, replied_author)
    row.viewer_liked = row.viewer_bookmarked = False
    if member:
        row.viewer_liked, row.viewer_bookmarked = bool(viewer[0]), bool(viewer[1])
    return row


def _posts_queryset(topic_id: int, after: int, up_to: int, viewer_id: int | None) -> QuerySet:
    """The ORM form of `_POSTS_SQL`: the reference for what the topic page reads (and what a
    test checks the SQL against). The page itself runs the SQL below."""
    queryset = Post.objects.filter(topic_id=topic_id, number__gt=after, number__lte=up_to)
    columns = list(_POST_COLUMNS)
    if viewer_id is not None:
        queryset = queryset.annotate(
            viewer_liked=Exists(Like.objects.filter(post=OuterRef("pk"), user_id=viewer_id)),
            viewer_bookmarked=Exists(
                Bookmark.objects.filter(post=OuterRef("pk"), user_id=viewer_id)
            ),
        )
        columns += ["viewer_liked", "viewer_bookmarked"]
    return queryset.order_by("number").values_list(*columns)


# The topic page's hottest read, written out: building and compiling the queryset above cost
# more than running it. Plain parameterised SQL, the same on SQLite and PostgreSQL; the columns
# are `_POST_COLUMNS` in order (then, for a member, liked and bookmarked).
_POSTS_SQL = """
SELECT p.id, p.number, p.author_id, p.raw, p.html, p.reply_to_id, p.created_at, p.edited_at,
       p.revision_count, p.like_count, p.deleted_at, p.deleted_by_id, p.hidden,
       a.username, a.display_name, a.avatar, a.is_staff, a.is_active,
       r.number, r.author_id, ra.username, ra.display_name{viewer_columns}
FROM forum_post p
INNER JOIN accounts_user a ON p.author_id = a.id
LEFT OUTER JOIN forum_post r ON p.reply_to_id = r.id
LEFT OUTER JOIN accounts_user ra ON r.author_id = ra.id
WHERE p.topic_id = %s AND p.number > %s AND p.number <= %s
ORDER BY p.number
"""
_VIEWER_COLUMNS = """,
       EXISTS(SELECT 1 FROM forum_like l WHERE l.post_id = p.id AND l.user_id = %s),
       EXISTS(SELECT 1 FROM forum_bookmark b WHERE b.post_id = p.id AND b.user_id = %s)"""
_POSTS_ANONYMOUS = _POSTS_SQL.format(viewer_columns="")
_POSTS_MEMBER = _POSTS_SQL.format(viewer_columns=_VIEWER_COLUMNS)
_MOMENTS = (6, 7, 10)  # created_at, edited_at, deleted_at


def _aware(value):
    """A stored moment as the ORM gives it: SQLite returns naive UTC datetimes."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _post_rows(topic_id: int, after: int, up_to: int, viewer_id: int | None) -> list[tuple]:
    if viewer_id is None:
        sql, params = _POSTS_ANONYMOUS, [topic_id, after, up_to]
    else:
        sql, params = _POSTS_MEMBER, [viewer_id, viewer_id, topic_id, after, up_to]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        row = list(row)
        for index in _MOMENTS:
            row[index] = _aware(row[index])
        result.append(row)
    return result


def topic_posts(*, topic: Topic, viewer: User, page: int) -> tuple[list[PostRow], int]:
    """One page of a topic's posts with authors and replied-to authors, and for members whether
    they liked or bookmarked each (one query)."""
    total_pages = max(1, (topic.highest_post_number + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE)
    page = max(1, min(page, total_pages))
    start = (page - 1) * POSTS_PER_PAGE
    member = viewer.is_authenticated
    rows = _post_rows(topic.id, start, start + POSTS_PER_PAGE, viewer.pk if member else None)
    return [_post_row(row, topic, member) for row in rows], total_pages


def page_of_post(number: int) -> int:
    return max(1, (number - 1) // POSTS_PER_PAGE + 1)


def topic_user_for(*, topic: Topic, viewer: User) -> TopicUser | None:
    if not viewer.is_authenticated:
        return None
    return TopicUser.objects.filter(topic=topic, user=viewer).order_by("pk").first()


def topic_tags(*, topic: Topic) -> list[Tag]:
    """The topic's tags by name (what `topic.tags.all()` gives)."""
    return list(  # `Tag.objects.filter(topics=topic)`, run as written (a third of the cost)
        Tag.objects.raw(
            "SELECT t.* FROM forum_tag t INNER JOIN forum_topic_tags tt ON tt.tag_id = t.id"
            " WHERE tt.topic_id = %s ORDER BY t.name",
            [topic.id],
        )
    )


def reply_draft(*, topic: Topic, viewer: User, key: str) -> str | None:
    """The text of the member's saved reply draft for this topic, if any."""
    if not viewer.is_authenticated:
        return None
    return (
        Draft.objects.filter(user=viewer, key=key).order_by("pk").values_list("raw", flat=True)
    ).first()


def _newest_per_category(category_ids: list[int]) -> QuerySet:
    newest = Q()
    for category_id in category_ids:
        newest |= Q(
            pk__in=Topic.objects.filter(category_id=category_id, is_private=False, deleted_at=None)
            .order_by("-bumped_at", "-id")
            .values("pk")[:3]
        )
    return (
        Topic.objects.filter(newest)
        .order_by("-bumped_at", "-id")
        .values_list("id", "title", "category_id", "bumped_at")
    )


def category_user_for(*, category: Category, viewer: User) -> CategoryUser | None:
    if not viewer.is_authenticated:
        return None
    return CategoryUser.objects.filter(category=category, user=viewer).first()


def member_drafts(
    *, viewer: User, cursor: str | None = None, limit: int = 30
) -> tuple[list[Draft], str | None]:
    """A page of the member's composer drafts, latest first, and the cursor of the next."""
    return keyset_page(
        Draft.objects.filter(user=viewer), key="updated_at", cursor=cursor, limit=limit
    )


def category_index(*, access: CategoryAccess, viewer: User) -> list[tuple[Category, list[Topic]]]:
    """Top-level categories with their subcategories and three latest topics each (1 query).

    Each category's three come from a subquery that walks the category's `topic_cat_bumped`
    index and stops after three rows, so the page costs the same with 100 or 100,000 topics
    (a window over every topic, as this was, grows with them)."""
    visible = access.visible_categories()
    roots = [c for c in visible if c.parent_id is None]
    by_category: dict[int, list[Topic]] = {}
    if roots:
        ids = [c.id for c in roots]
        for topic_id, title, category_id, bumped_at in _newest_per_category(ids):
            topic = Topic(id=topic_id, title=title, category_id=category_id, bumped_at=bumped_at)
            by_category.setdefault(category_id, []).append(topic)
    for root in roots:
        root.visible_children = [c for c in visible if c.parent_id == root.id]
    return [(c, by_category.get(c.id, [])) for c in roots]


def _tags_with_visible_counts(viewer: User, access: CategoryAccess) -> QuerySet[Tag]:
    """Tags with `visible_topic_count`, the topics the viewer may list that carry them; tags
    used only where the viewer cannot see are left out (their names and counts would tell)."""
    listable = Q(
        topics__is_private=False,
        topics__deleted_at=None,
        topics__category_id__in=access.visible_ids(),
    )
    return Tag.objects.annotate(visible_topic_count=Count("topics", filter=listable)).filter(
        visible_topic_count__gt=0
    )


def popular_tags(*, viewer: User, access: CategoryAccess, limit: int = 30) -> list[Tag]:
    queryset = _tags_with_visible_counts(viewer, access)
    return list(queryset.order_by("-visible_topic_count", "name")[:limit])


def search_tags(*, prefix: str, viewer: User, access: CategoryAccess, limit: int = 10) -> list[Tag]:
    prefix = prefix.strip().lower()[:40]
    if not prefix:
        return []
    queryset = _tags_with_visible_counts(viewer, access).filter(name__startswith=prefix)
    return list(queryset.order_by("-visible_topic_count", "name")[:limit])


BOOKMARKS_PER_PAGE = 30


def member_bookmarks(
    *,
    viewer: User,
    access: CategoryAccess,
    cursor: str | None = None,
    limit: int = BOOKMARKS_PER_PAGE,
) -> tuple[list[Bookmark], str | None]:
    """A page of the member's bookmarks that they can still see, newest bookmark first, and the
    cursor of the next page."""
    queryset = (
        Bookmark.objects.filter(user=viewer)
        .filter(permissions.readable_posts_q(viewer, access, prefix="post__"))
        .select_related("post__topic", "post__author")
    )
    return keyset_page(queryset, key="created_at", cursor=cursor, limit=limit)


def readable_posts(
    *, viewer: User, access: CategoryAccess, queryset: QuerySet[Post] | None = None
) -> QuerySet[Post]:
    """The posts whose text the viewer may receive (permissions.readable_posts_q): what every
    list that shows a post's text (feeds, bookmarks, excerpts) starts from."""
    queryset = Post.objects.all() if queryset is None else queryset
    return queryset.filter(permissions.readable_posts_q(viewer, access))


def revisions_of(post: Post) -> list:
    return list(post.revisions.select_related("editor").order_by("number"))


def member_activity(*, member: User, viewer: User, access: CategoryAccess) -> dict[str, object]:
    """A profile's activity: recent topics and replies the viewer may see, likes received."""
    visible = Q(topic__category_id__in=access.visible_ids(), topic__is_private=False)
    topics = list(
        _listable(viewer, access)
        .filter(author=member)
        .select_related("category")
        .order_by("-created_at")[:10]
    )
    replies = list(
        Post.objects.filter(
            visible,
            author=member,
            number__gt=1,
            deleted_at=None,
            hidden=False,
            topic__deleted_at=None,
        )
        .select_related("topic")
        .order_by("-created_at")[:10]
    )
    likes_received = Like.objects.filter(post__author=member).count()
    return {"topics": topics, "replies": replies, "likes_received": likes_received}
