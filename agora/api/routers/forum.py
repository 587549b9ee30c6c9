"""Categories, topics, posts and tags, through the forum's own selectors, permissions and
services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from agora.api.auth import require, viewer
from agora.api.errors import ERRORS
from agora.api.schemas import (
    BookmarkOut,
    CategoryOut,
    LikeOut,
    MessageIn,
    NotificationLevelIn,
    NotificationLevelOut,
    PostEditIn,
    PostIn,
    PostOut,
    PreviewIn,
    PreviewOut,
    RevisionOut,
    TagOut,
    TopicDetailOut,
    TopicIn,
    TopicOut,
    UploadOut,
    member_ref,
    one_of,
    page_of,
)
from agora.core.markdown import render as render_markdown
from agora.core.params import parse_int
from agora.forum import permissions, selectors, services
from agora.forum.models import Like, NotificationLevel, Post, Tag

router = Router(tags=["forum"])
TopicPage = page_of(TopicOut)
PostPage = page_of(PostOut)


def category_out(category, access, user) -> dict:
    return {
        "id": category.id,
        "slug": category.slug,
        "name": category.display_name,
        "description": category.display_description,
        "color": category.color,
        "parent": access.categories[category.parent_id].slug if category.parent_id else None,
        "topic_count": category.topic_count,
        "post_count": category.post_count,
        "can_create_topic": permissions.can_create_topic(user, category, access),
        "url": category.get_absolute_url(),
    }


def topic_out(topic, access=None) -> dict:
    category = access.categories.get(topic.category_id) if access else topic.category
    return {
        "id": topic.id,
        "title": topic.title,
        "category": category.slug if category else None,
        "author": member_ref(topic.author),
        "tags": [tag.name for tag in topic.tags.all()],
        "is_private": topic.is_private,
        "closed": topic.closed,
        "pinned": topic.pinned_globally or topic.pinned_in_category,
        "post_count": topic.post_count,
        "like_count": topic.like_count,
        "created_at": topic.created_at,
        "bumped_at": topic.bumped_at,
        "url": topic.get_absolute_url(),
    }


def post_out(post, user) -> dict:
    """The same rule as the topic page (permissions.can_read_post_text)."""
    shown = permissions.can_read_post_text(user, post)
    return {
        "id": post.id,
        "topic_id": post.topic_id,
        "number": post.number,
        "author": member_ref(post.author),
        "raw": post.raw if shown else None,
        "html": post.html if shown else None,
        "reply_to": post.reply_to_id,
        "deleted": post.deleted_at is not None,
        "hidden": post.hidden,
        "like_count": post.like_count,
        "created_at": post.created_at,
        "edited_at": post.edited_at,
        "url": post.topic.get_post_url(post.number),
    }


@router.get("/categories", response={200: list[CategoryOut], **ERRORS})
def list_categories(request: HttpRequest):
    """Every category the caller may see, in the site's order."""
    access = permissions.get_access(request)
    user = viewer(request)
    return [category_out(c, access, user) for c in access.visible_categories()]


@router.get("/categories/{slug}", response={200: CategoryOut, **ERRORS})
def get_category(request: HttpRequest, slug: str):
    access = permissions.get_access(request)
    category = selectors.get_category_for_viewer(slug=slug, access=access)
    return category_out(category, access, viewer(request))


@router.get("/topics", response={200: TopicPage, **ERRORS})
def list_topics(
    request: HttpRequest,
    category: str | None = None,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int = Query(30, ge=1, le=100),
):
    """Latest topics first (by last activity), optionally in a category or with a tag."""
    access = permissions.get_access(request)
    user = viewer(request)
    category_obj = (
        selectors.get_category_for_viewer(slug=category, access=access) if category else None
    )
    tag_obj = None
    if tag:
        tag_obj = Tag.objects.filter(name=tag).first()
        if tag_obj is None:
            raise Http404("No such tag")
    page = selectors.latest_topics(
        viewer=user, access=access, category=category_obj, tag=tag_obj, cursor=cursor, limit=limit
    )
    return {"items": [topic_out(t, access) for t in page.topics], "next_cursor": page.next_cursor}


# Before /topics/{topic_id}, whose pattern would otherwise take these names.
@router.get("/topics/new", response={200: TopicPage, **ERRORS})
def list_new_topics(request: HttpRequest, cursor: str | None = None):
    """Recent topics you have never opened (the *New* list), 30 a page."""
    access = permissions.get_access(request)
    page = selectors.new_topics(viewer=viewer(request), access=access, cursor=cursor)
    return {"items": [topic_out(t, access) for t in page.topics], "next_cursor": page.next_cursor}


@router.get("/topics/unread", response={200: TopicPage, **ERRORS})
def list_unread_topics(request: HttpRequest, cursor: str | None = None):
    """Topics you opened that have posts past where you stopped reading (the *Unread* list)."""
    user = require(request, "read")
    access = permissions.get_access(request)
    page = selectors.unread_topics(viewer=user, access=access, cursor=cursor)
    return {"items": [topic_out(t, access) for t in page.topics], "next_cursor": page.next_cursor}


@router.get("/topics/top", response={200: TopicPage, **ERRORS})
def list_top_topics(
    request: HttpRequest, period: one_of(selectors.TOP_PERIODS) = "week", cursor: str | None = None
):
    """The most liked topics of a period (`day`, `week`, `month`, `year`, `all`), or the week's
    by trending score with a time decay (`trending`); the cursor is
    the next page's number (at most 100 pages)."""
    if period not in selectors.TOP_PERIODS:
        raise ValidationError({"period": [_("Unknown period.")]})
    access = permissions.get_access(request)
    number = parse_int(cursor, minimum=1, maximum=999) or 1
    topics, has_more = selectors.top_topics(
        viewer=viewer(request), access=access, period=period, page=number
    )
    next_cursor = str(number + 1) if has_more and number < 100 else None
    return {"items": [topic_out(t, access) for t in topics], "next_cursor": next_cursor}


@router.post("/topics", response={201: TopicDetailOut, **ERRORS})
def create_topic(request: HttpRequest, payload: TopicIn):
    user = require(request, "write")
    access = permissions.get_access(request)
    category = selectors.get_category_for_viewer(slug=payload.category, access=access)
    topic = services.create_topic(
        author=user, category=category, title=payload.title, raw=payload.raw, tags=payload.tags
    )
    return Status(201, _topic_detail(topic, user, access))


def _topic_detail(topic, user, access) -> dict:
    return {
        **topic_out(topic, access),
        "accepted_answer_id": topic.accepted_answer_id,
        "can_reply": permissions.can_reply(user, topic, access),
    }


@router.get("/topics/{topic_id}", response={200: TopicDetailOut, **ERRORS})
def get_topic(request: HttpRequest, topic_id: int):
    """A topic the caller may see: private messages only for their participants."""
    access = permissions.get_access(request)
    user = viewer(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    return _topic_detail(topic, user, access)


@router.get("/topics/{topic_id}/posts", response={200: PostPage, **ERRORS})
def list_posts(
    request: HttpRequest,
    topic_id: int,
    cursor: str | None = None,
    limit: int = Query(20, ge=1, le=100),
):
    """A topic's posts in order; the cursor is the last post number seen."""
    access = permissions.get_access(request)
    user = viewer(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    after = parse_int(cursor) or 0
    rows = list(
        Post.objects.filter(topic=topic, number__gt=after)
        .select_related("author", "topic")
        .order_by("number")[: limit + 1]
    )
    next_cursor = str(rows[limit - 1].number) if len(rows) > limit else None
    return {"items": [post_out(p, user) for p in rows[:limit]], "next_cursor": next_cursor}


@router.post("/topics/{topic_id}/posts", response={201: PostOut, **ERRORS})
def create_post(request: HttpRequest, topic_id: int, payload: PostIn):
    user = require(request, "write")
    access = permissions.get_access(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    reply_to = None
    if payload.reply_to is not None:
        reply_to = Post.objects.filter(topic=topic, number=payload.reply_to).first()
        if reply_to is None:
            raise ValidationError({"reply_to": "No post with this number in the topic."})
    post = services.create_post(author=user, topic=topic, raw=payload.raw, reply_to=reply_to)
    return Status(201, post_out(post, user))


def _id(value: int) -> int:
    if not 0 < value < 2**31:
        raise Http404("No such object")
    return value


@router.get("/posts/{post_id}", response={200: PostOut, **ERRORS})
def get_post(request: HttpRequest, post_id: int):
    access = permissions.get_access(request)
    user = viewer(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    return post_out(post, user)


@router.patch("/posts/{post_id}", response={200: PostOut, **ERRORS})
def edit_post(request: HttpRequest, post_id: int, payload: PostEditIn):
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    title = payload.title if post.number == 1 else None
    post = services.edit_post(editor=user, post=post, raw=payload.raw, title=title)
    post = Post.objects.select_related("author", "topic").get(pk=post.pk)
    return post_out(post, user)


@router.delete("/posts/{post_id}", response={200: PostOut, **ERRORS})
def delete_post(request: HttpRequest, post_id: int):
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    services.delete_post(actor=user, post=post)
    post = Post.objects.select_related("author", "topic").get(pk=post.pk)
    return post_out(post, user)


def _like_state(post, user) -> dict:
    post.refresh_from_db(fields=["like_count"])
    liked = Like.objects.filter(post=post, user=user).exists()
    return {"liked": liked, "like_count": post.like_count}


@router.post("/posts/{post_id}/like", response={200: LikeOut, **ERRORS})
def like_post(request: HttpRequest, post_id: int):
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    services.like_post(user=user, post=post)
    return _like_state(post, user)


@router.delete("/posts/{post_id}/like", response={200: LikeOut, **ERRORS})
def unlike_post(request: HttpRequest, post_id: int):
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    services.unlike_post(user=user, post=post)
    return _like_state(post, user)


@router.post("/messages", response={201: TopicDetailOut, **ERRORS})
def create_message(request: HttpRequest, payload: MessageIn):
    """Start a private message with other members (by username)."""
    user = require(request, "write")
    recipients = services.resolve_recipients(author=user, names=payload.recipients[:50])
    topic = services.create_private_topic(
        author=user, recipients=recipients, title=payload.title, raw=payload.raw
    )
    return Status(201, _topic_detail(topic, user, permissions.get_access(request)))


@router.post("/posts/{post_id}/bookmark", response={200: BookmarkOut, **ERRORS})
def bookmark_post(request: HttpRequest, post_id: int):
    """Toggle your bookmark on a post."""
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    return {"bookmarked": services.toggle_bookmark(user=user, post=post)}


@router.post("/posts/{post_id}/accept", response={200: TopicDetailOut, **ERRORS})
def accept_answer(request: HttpRequest, post_id: int):
    """Accept (or un-accept) a reply as the answer of a question-and-answer topic."""
    user = require(request, "write")
    access = permissions.get_access(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    services.accept_answer(user=user, post=post)
    topic = selectors.get_topic_for_viewer(topic_id=post.topic_id, viewer=user, access=access)
    return _topic_detail(topic, user, access)


@router.get("/tags", response={200: list[TagOut], **ERRORS})
def list_tags(request: HttpRequest, prefix: str = ""):
    """The most used tags, or those starting with `prefix`; `topic_count` counts the topics you
    may see (tags used only where you cannot see are not listed)."""
    access, user = permissions.get_access(request), viewer(request)
    if prefix:
        tags = selectors.search_tags(prefix=prefix, viewer=user, access=access, limit=30)
    else:
        tags = selectors.popular_tags(viewer=user, access=access, limit=100)
    return [
        {"name": t.name, "description": t.description, "topic_count": t.visible_topic_count}
        for t in tags
    ]


LEVELS = {level.name.lower(): level.value for level in NotificationLevel}
LEVEL_NAMES = {value: name for name, value in LEVELS.items()}


def _level(name: str) -> int:
    if name not in LEVELS:
        raise ValidationError(
            {"level": [_("Unknown notification level.") + " (" + ", ".join(LEVELS) + ")"]}
        )
    return LEVELS[name]


@router.get("/topics/{topic_id}/notification-level", response={200: NotificationLevelOut, **ERRORS})
def get_topic_level(request: HttpRequest, topic_id: int):
    """Your level for a topic: `watching`, `tracking`, `normal` or `muted`."""
    user = require(request, "read")
    access = permissions.get_access(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    topic_user = selectors.topic_user_for(topic=topic, viewer=user)
    level = topic_user.notification_level if topic_user else NotificationLevel.NORMAL
    return {"level": LEVEL_NAMES[level]}


@router.put("/topics/{topic_id}/notification-level", response={200: NotificationLevelOut, **ERRORS})
def set_topic_level(request: HttpRequest, topic_id: int, payload: NotificationLevelIn):
    user = require(request, "write")
    access = permissions.get_access(request)
    topic = selectors.get_topic_for_viewer(topic_id=_id(topic_id), viewer=user, access=access)
    topic_user = services.set_topic_notification_level(
        user=user, topic=topic, level=_level(payload.level)
    )
    return {"level": LEVEL_NAMES[topic_user.notification_level]}


@router.get("/categories/{slug}/notification-level", response={200: NotificationLevelOut, **ERRORS})
def get_category_level(request: HttpRequest, slug: str):
    """Your level for a whole category (`watching` notifies of every new post in it); a topic's
    own level comes first."""
    user = require(request, "read")
    category = selectors.get_category_for_viewer(slug=slug, access=permissions.get_access(request))
    category_user = selectors.category_user_for(category=category, viewer=user)
    level = category_user.notification_level if category_user else NotificationLevel.NORMAL
    return {"level": LEVEL_NAMES[level]}


@router.put("/categories/{slug}/notification-level", response={200: NotificationLevelOut, **ERRORS})
def set_category_level(request: HttpRequest, slug: str, payload: NotificationLevelIn):
    user = require(request, "write")
    category = selectors.get_category_for_viewer(slug=slug, access=permissions.get_access(request))
    category_user = services.set_category_notification_level(
        user=user, category=category, level=_level(payload.level)
    )
    return {"level": LEVEL_NAMES[category_user.notification_level]}


@router.get("/posts/{post_id}/revisions", response={200: list[RevisionOut], **ERRORS})
def list_revisions(request: HttpRequest, post_id: int):
    """A post's edits, oldest first (only where the post's text is shown to you)."""
    access = permissions.get_access(request)
    user = viewer(request)
    post = selectors.get_post_for_viewer(post_id=_id(post_id), viewer=user, access=access)
    if post_out(post, user)["raw"] is None:
        raise Http404("No such post")
    return [
        {
            "number": r.number,
            "editor": member_ref(r.editor),
            "raw_before": r.raw_before,
            "raw_after": r.raw_after,
            "title_before": r.title_before,
            "title_after": r.title_after,
            "created_at": r.created_at,
        }
        for r in selectors.revisions_of(post)
    ]


@router.post("/uploads", response={201: UploadOut, **ERRORS})
def upload_image(request: HttpRequest, image: File[UploadedFile]):
    """Upload an image for a post (multipart field `image`), as pasting into the composer does:
    returns its URL and the Markdown to insert."""
    user = require(request, "write")
    try:
        record = services.upload_image(user=user, upload=image)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    return Status(
        201, {"url": record.file.url, "markdown": services.upload_markdown(record, image.name)}
    )


@router.get("/messages", response={200: TopicPage, **ERRORS})
def list_messages(request: HttpRequest, cursor: str | None = None):
    """Your private messages, latest activity first (the inbox)."""
    user = require(request, "read")
    access = permissions.get_access(request)
    page = selectors.private_topics(viewer=user, cursor=cursor)
    return {"items": [topic_out(t, access) for t in page.topics], "next_cursor": page.next_cursor}


@router.post("/preview", response={200: PreviewOut, **ERRORS})
def preview(request: HttpRequest, payload: PreviewIn):
    """Render Markdown as a post would be rendered (the composer's live preview; members only)."""
    require(request, "write")
    raw = payload.raw[:60_000]
    return {"html": render_markdown(raw) if raw.strip() else ""}
