"""Who may do what in the forum. Every view asks these functions; nothing else decides access."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

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
