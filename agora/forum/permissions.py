"""Who may do what in the forum. Every view asks these functions; nothing else decides access."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q

from agora.accounts.models import User
from agora.forum.models import Access, Category, CategoryGroupAccess, Post, Topic


@dataclass
class CategoryAccess:
    """The viewer's access level in every category, computed once per request (two queries)."""

    levels: dict[int, int] = field(default_factory=dict)
    categories: dict[int, Category] = field(default_factory=dict)

    def level(self, category_id: int | None) -> int:
        return self.levels.get(category_id or 0, Access.NONE)

    def visible_ids(self) -> list[int]:
        return [cid for cid, level in self.levels.items() if level >= Access.SEE]

    def visible_categories(self) -> list[Category]:
        return [c for cid, c in self.categories.items() if self.levels[cid] >= Access.SEE]


def is_staff(user: User | AnonymousUser | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff)


def category_access_for(user: User | AnonymousUser | None) -> CategoryAccess:
    # `Category.objects.all()` (ordered by position, id), run as written: every forum page
    # reads it, and building the queryset cost more than running it.
    rows = Category.objects.raw("SELECT * FROM forum_category ORDER BY position, id")
    categories = {c.id: c for c in rows}
    for category in categories.values():  # parents from the same rows: no self-join
        if category.parent_id in categories:
            category.parent = categories[category.parent_id]
    access = CategoryAccess(categories=categories)
    authenticated = bool(user is not None and user.is_authenticated)
    group_levels: dict[int, int] = {}
    if authenticated and not is_staff(user):
        rows = CategoryGroupAccess.objects.filter(group__user=user).values_list(
            "category_id", "access"
        )
        for category_id, level in rows:
            group_levels[category_id] = max(group_levels.get(category_id, 0), level)
    for category_id, category in categories.items():
        if is_staff(user):
            level = Access.CREATE
        elif authenticated:
            level = max(category.everyone_access, group_levels.get(category_id, 0))
        else:
            level = min(category.everyone_access, Access.SEE)
        access.levels[category_id] = level
    # A subcategory is never more visible than its parent.
    for category_id, category in categories.items():
        if category.parent_id and access.levels.get(category.parent_id, 0) < Access.SEE:
            access.levels[category_id] = Access.NONE
    return access


def visible_category_q(user, prefix: str = "") -> Q:
    """`category_access_for(user).level(c) >= SEE` as a filter over categories (`prefix`
    "topic__category__" over notifications...), for a count that must not cost the two queries
    of the access map: the category's own level and its parent's, as above."""
    if is_staff(user):
        return Q()

    def seen(path: str) -> Q:
        own = Q(**{f"{path}everyone_access__gte": Access.SEE})
        if user is not None and user.is_authenticated:
            own |= Exists(
                CategoryGroupAccess.objects.filter(
                    category_id=OuterRef(f"{path}id"), group__user=user, access__gte=Access.SEE
                )
            )
        return own

    parent = f"{prefix}parent__"
    return seen(prefix) & (Q(**{f"{prefix}parent__isnull": True}) | seen(parent))


def get_access(request) -> CategoryAccess:
    """Memoised on the request so a page computes it once."""
    cached = getattr(request, "_forum_access", None)
    if cached is None:
        cached = category_access_for(request.user)
        request._forum_access = cached
    return cached


def can_see_topic(user, topic: Topic, access: CategoryAccess) -> bool:
    if topic.deleted_at is not None and not is_staff(user):
        return False
    if topic.is_private:
        if not (user is not None and user.is_authenticated):
            return False
        return is_staff(user) or topic.participants.filter(pk=user.pk).exists()
    return access.level(topic.category_id) >= Access.SEE


# --- The text of a post -------------------------------------------------------------------------
# ONE rule decides what text of a post (its Markdown source, HTML, excerpts, edit history, quotes)
# a viewer may receive, on every output path: pages, htmx fragments, feeds, search snippets,
# notifications and their emails, bookmarks, the sitemap and the API. `can_read_post` answers for
# one post, `readable_posts_q` is the same rule as a filter; they sit together so they cannot
# drift apart (agora/core/tests/test_canary.py checks every route against them);
# `can_read_post_text` below is the text half of the rule.


def can_read_post(user, post: Post, access: CategoryAccess) -> bool:
    """The topic is visible to the viewer (not deleted, not private to others, in a category
    they can see) and so is the post's text."""
    return can_see_topic(user, post.topic, access) and can_read_post_text(user, post)


def is_public_topic(topic: Topic, access: CategoryAccess) -> bool:
    """Whether a visitor (anyone on the web) may see the topic: what link previews and other
    public copies of it ask, whoever is looking now. From the access map's categories (already
    loaded with their parents): no query."""
    if topic.is_private or topic.deleted_at is not None:
        return False
    category = access.categories.get(topic.category_id)
    if category is None or category.everyone_access < Access.SEE:
        return False
    parent = access.categories.get(category.parent_id) if category.parent_id else None
    return parent is None or parent.everyone_access >= Access.SEE


def visible_topics_q(user, access: CategoryAccess, prefix: str = "") -> Q:
    """`can_see_topic` as a filter over topics (`prefix` "topic__" over posts, and so on)."""
    if is_staff(user):
        return Q()
    public = Q(
        **{
            f"{prefix}is_private": False,
            f"{prefix}category_id__in": access.visible_ids(),
        }
    )
    if user is not None and user.is_authenticated:
        participant = Topic.participants.through.objects.filter(
            topic_id=OuterRef(f"{prefix}pk" if prefix else "pk"), user_id=user.pk
        )
        public |= Q(Exists(participant), **{f"{prefix}is_private": True})
    return public & Q(**{f"{prefix}deleted_at": None})


def readable_posts_q(user, access: CategoryAccess, prefix: str = "") -> Q:
    """`can_read_post` as a filter over posts (`prefix` "post__" over bookmarks, notifications)."""
    if is_staff(user):
        return Q()
    text = Q(**{f"{prefix}hidden": False})
    if user is not None and user.is_authenticated:
        text |= Q(**{f"{prefix}author_id": user.pk})
    return (
        visible_topics_q(user, access, prefix=f"{prefix}topic__")
        & Q(**{f"{prefix}deleted_at": None})
        & text
    )


def can_create_topic(user, category: Category, access: CategoryAccess) -> bool:
    return bool(user and user.is_authenticated) and access.level(category.id) >= Access.CREATE


def can_reply(user, topic: Topic, access: CategoryAccess) -> bool:
    if not (user is not None and user.is_authenticated) or topic.deleted_at is not None:
        return False
    if topic.closed and not is_staff(user):
        return False
    if topic.is_private:
        return can_see_topic(user, topic, access)
    return access.level(topic.category_id) >= Access.REPLY


def can_edit_post(user, post: Post, topic: Topic | None = None) -> bool:
    """Staff edit any post; authors their own while it stands and the topic is open.
    `topic` is the post's topic when the caller already has it (the topic page's rows)."""
    if not (user is not None and user.is_authenticated):
        return False
    if is_staff(user):
        return True
    topic = topic if topic is not None else post.topic
    return post.author_id == user.pk and post.deleted_at is None and not topic.closed


def can_delete_post(user, post: Post, topic: Topic | None = None) -> bool:
    return can_edit_post(user, post, topic)


def can_restore_post(user, post: Post) -> bool:
    return is_staff(user) and post.deleted_at is not None


def can_read_post_text(user, post: Post) -> bool:
    """Whether the viewer may receive a post's text (its HTML or its Markdown source): a deleted
    post's only for staff, a post hidden by flags only for staff and its author."""
    if post.deleted_at is not None:
        return is_staff(user)
    if post.hidden:
        return is_staff(user) or (
            user is not None and user.is_authenticated and post.author_id == user.pk
        )
    return True


def can_receive_post_source(user, post: Post, *, can_reply: bool) -> bool:
    """Whether a page sends the viewer a post's Markdown source: only to quote it in a reply
    (`can_reply`: the viewer may reply to the topic), and only for a standing post whose text
    the viewer may read. Editing reads the source on its own page."""
    return can_reply and post.deleted_at is None and can_read_post_text(user, post)


def can_like_post(user, post: Post) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and post.author_id != user.pk
        and post.deleted_at is None
        and not post.hidden
    )


def can_flag_post(user, post: Post) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and post.author_id != user.pk
        and post.deleted_at is None
    )


def can_accept_answers(user, topic: Topic) -> bool:
    """Whether the viewer may mark answers in this topic: its author or staff, in a
    question-and-answer category."""
    if not (user is not None and user.is_authenticated) or topic.is_private:
        return False
    if topic.category is None or not topic.category.is_question_answer:
        return False
    return is_staff(user) or topic.author_id == user.pk


def can_accept_answer(user, topic: Topic, post: Post) -> bool:
    return post.number != 1 and can_accept_answers(user, topic)


def can_moderate(user) -> bool:
    return is_staff(user)


@dataclass(frozen=True, slots=True)
class PostRights:
    """What one viewer may do with, and receive of, one post on a topic page."""

    read_text: bool  # the post's HTML (can_read_post_text)
    source: bool  # its Markdown source, to quote it (can_receive_post_source)
    accepted: bool  # it is the topic's accepted answer
    like: bool
    flag: bool
    reply: bool
    accept: bool  # may accept (or unaccept) it as the answer
    edit: bool  # edit and delete
    restore: bool


def post_rights(user, topic: Topic, post: Post, *, can_reply: bool) -> PostRights:
    """Every rule of the topic page for one post, from the functions above."""
    standing = post.deleted_at is None
    return PostRights(
        read_text=can_read_post_text(user, post),
        source=can_receive_post_source(user, post, can_reply=can_reply),
        accepted=topic.accepted_answer_id == post.id,
        like=can_like_post(user, post),
        flag=can_flag_post(user, post),
        reply=can_reply and standing,
        accept=standing and can_accept_answer(user, topic, post),
        edit=standing and can_edit_post(user, post, topic),
        restore=can_restore_post(user, post),
    )
