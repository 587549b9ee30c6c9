"""The kinds the forum and accounts provide: posts (a topic's title rides on its first post),
members and tags. Visibility is checked against the live forum rows at query time, so a post
hidden by moderation or a category closed to a group disappears from results at once, whatever
the state of the index."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.accounts.models import User
from agora.core.markdown import to_plain_text
from agora.forum.models import Post, Tag, Topic
from agora.forum.permissions import CategoryAccess
from agora.search.registry import Document, SearchKind, Visibility, in_every_language, register_kind

POST, MEMBER, TAG = "post", "member", "tag"


def _post_documents(ids: list[int]) -> dict[int, Document]:
    posts = Post.objects.filter(
        id__in=ids, deleted_at=None, hidden=False, topic__deleted_at=None
    ).select_related("topic")
    return {
        post.id: Document(
            object_id=post.id,
            title=post.topic.title,
            title_weighted=post.number == 1,
            body=to_plain_text(post.html),
            created_at=post.created_at,
            topic_id=post.topic_id,
            category_id=post.topic.category_id,
            is_private=post.topic.is_private,
            author_id=post.author_id,
        )
        for post in posts
    }


def _post_ids():
    return Post.objects.filter(deleted_at=None, hidden=False, topic__deleted_at=None).values_list(
        "id", flat=True
    )


def post_visibility(viewer: User, access: CategoryAccess) -> Visibility:
    """Posts of categories the viewer may see, and private messages they take part in (staff
    included: search is not a moderation tool); never deleted or hidden posts."""
    categories = access.visible_ids() or [0]
    placeholders = ", ".join(["%s"] * len(categories))
    viewer_id = viewer.pk if viewer is not None and viewer.is_authenticated else 0
    participants = Topic.participants.through._meta.db_table
    return Visibility(
        joins=(
            f" JOIN {Post._meta.db_table} p ON p.id = d.object_id"
            f" JOIN {Topic._meta.db_table} t ON t.id = p.topic_id"
        ),
        where=(
            " AND p.deleted_at IS NULL AND p.hidden = %s AND t.deleted_at IS NULL"  # noqa: S608
            f" AND ((t.is_private = %s AND t.category_id IN ({placeholders}))"
            f" OR (t.is_private = %s AND EXISTS (SELECT 1 FROM {participants} tp"
            " WHERE tp.topic_id = t.id AND tp.user_id = %s)))"
        ),
        params=[False, False, *categories, True, viewer_id],
    )


def _member_documents(ids: list[int]) -> dict[int, Document]:
    members = User.objects.filter(id__in=ids, is_active=True)
    return {
        member.id: Document(
            object_id=member.id,
            # stored words: the index must not speak the language of whoever triggered it
            title=f"{member.display_name or member.username} @{member.username}",
            body=" ".join([member.bio, *[str(s) for s in member.skills or []]]),
            keywords=in_every_language(*member.site_words()),  # the zoo's name, in every language
            created_at=member.date_joined,
            author_id=member.id,
        )
        for member in members
    }


def member_visibility(viewer, access) -> Visibility:
    return Visibility(
        joins=f" JOIN {User._meta.db_table} u ON u.id = d.object_id",
        where=" AND u.is_active = %s",
        params=[True],
    )


def _tag_documents(ids: list[int]) -> dict[int, Document]:
    from django.utils import timezone

    now = timezone.now()
    return {
        tag.id: Document(object_id=tag.id, title=tag.name, body=tag.description, created_at=now)
        for tag in Tag.objects.filter(id__in=ids)
    }


def tag_visibility(viewer: User, access: CategoryAccess) -> Visibility:
    """Tags on at least one topic the viewer may list: a tag used only in a private category
    is not revealed (as the tags page)."""
    categories = access.visible_ids() or [0]
    placeholders = ", ".join(["%s"] * len(categories))
    tagged = Topic.tags.through._meta.db_table
    return Visibility(
        where=(
            f" AND EXISTS (SELECT 1 FROM {tagged} tt JOIN {Topic._meta.db_table} t"  # noqa: S608
            " ON t.id = tt.topic_id WHERE tt.tag_id = d.object_id AND t.is_private = %s"
            f" AND t.deleted_at IS NULL AND t.category_id IN ({placeholders}))"
        ),
        params=[False, *categories],
    )


register_kind(
    SearchKind(
        name=POST,
        documents=_post_documents,
        all_ids=_post_ids,
        visibility=post_visibility,
        label=_("Topics and posts"),
        noun=_("Forum post"),
        order=10,
    )
)
register_kind(
    SearchKind(
        name=MEMBER,
        documents=_member_documents,
        all_ids=lambda: User.objects.filter(is_active=True).values_list("id", flat=True),
        visibility=member_visibility,
        label=_("Members"),
        order=20,
    )
)
register_kind(
    SearchKind(
        name=TAG,
        documents=_tag_documents,
        all_ids=lambda: Tag.objects.values_list("id", flat=True),
        visibility=tag_visibility,
        label=_("Tags"),
        order=30,
    )
)
