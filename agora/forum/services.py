"""Every write in the forum. Each checks permission and input, then changes the database in one
transaction; notifications and other side effects are scheduled on commit."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core import trending
from agora.core.markdown import render
from agora.core.text import first_image, normalize_text
from agora.forum import permissions, signals
from agora.forum.models import (
    BODY_MAX,
    BODY_MIN,
    TITLE_MAX,
    TITLE_MIN,
    Bookmark,
    Category,
    CategoryUser,
    Draft,
    Like,
    NotificationLevel,
    Post,
    PostRevision,
    PostUpload,
    Tag,
    Topic,
    TopicUser,
    Upload,
)

MAX_TAGS = 5
DUPLICATE_WINDOW = timedelta(minutes=10)


def _clean_title(title: str) -> str:
    title = " ".join(normalize_text(title).split())
    if len(title) < TITLE_MIN:
        raise ValidationError(
            {"title": _("The title needs at least %(n)d characters.") % {"n": TITLE_MIN}}
        )
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {"title": _("The title can have at most %(n)d characters.") % {"n": TITLE_MAX}}
        )
    return title


def _clean_body(raw: str) -> str:
    raw = normalize_text(raw).strip("\n")
    if len(raw.strip()) < BODY_MIN:
        raise ValidationError(
            {"raw": _("The post needs at least %(n)d characters.") % {"n": BODY_MIN}}
        )
    if len(raw) > BODY_MAX:
        raise ValidationError(
            {"raw": _("The post can have at most %(n)d characters.") % {"n": BODY_MAX}}
        )
    return raw


def _clean_tags(names: list[str], category: Category) -> list[Tag]:
    cleaned: list[str] = []
    for name in names:
        name = name.strip().lower().replace(" ", "-")
        if name and name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)d tags.") % {"n": MAX_TAGS}})
    allowed_groups = list(category.allowed_tag_groups.all())
    if allowed_groups:
        allowed = {t.name: t for g in allowed_groups for t in g.tags.all()}
        unknown = [n for n in cleaned if n not in allowed]
        if unknown:
            raise ValidationError(
                {
                    "tags": _("This category only accepts its own tags; not allowed: %(tags)s")
                    % {"tags": ", ".join(unknown)}
                }
            )
        return [allowed[n] for n in cleaned]
    tags = []
    for name in cleaned:
        tag = Tag(name=name)
        try:
            tag.full_clean(validate_unique=False)
        except ValidationError as exc:
            raise ValidationError(
                {"tags": _("“%(tag)s” is not a valid tag.") % {"tag": name[:40]}}
            ) from exc
        tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


def _refuse_duplicate(author: User, raw: str) -> None:
    since = timezone.now() - DUPLICATE_WINDOW
    if Post.objects.filter(author=author, raw=raw, created_at__gte=since, deleted_at=None).exists():
        raise ValidationError(
            {"raw": _("You posted exactly this a moment ago. Change it or wait a few minutes.")}
        )


def _check_limits(author: User, raw: str, *, is_topic: bool) -> None:
    """Trust-level posting limits live in the moderation app (imported late: it reads the forum)."""
    from agora.moderation.services import check_posting

    check_posting(user=author, raw=raw, is_topic=is_topic)


def _check_private_message(author: User, raw: str, recipients: int) -> None:
    from agora.moderation.services import check_private_message

    check_private_message(user=author, raw=raw, recipients=recipients)


def _check_content(author: User, raw: str) -> None:
    from agora.moderation.services import check_content

    check_content(user=author, raw=raw)


@transaction.atomic
def create_topic(
    *, author: User, category: Category, title: str, raw: str, tags: list[str] | None = None
) -> Topic:
    access = permissions.category_access_for(author)
    if not permissions.can_create_topic(author, category, access):
        raise PermissionDenied(_("You may not start topics in this category."))
    title = _clean_title(title)
    raw = _clean_body(raw)
    tag_objects = _clean_tags(tags or [], category)
    _refuse_duplicate(author, raw)
    _check_limits(author, raw, is_topic=True)
    now = timezone.now()
    topic = Topic.objects.create(
        title=title,
        category=category,
        author=author,
        bumped_at=now,
        last_posted_at=now,
        last_poster=author,
    )
    if tag_objects:
        topic.tags.set(tag_objects)
        Tag.objects.filter(id__in=[t.id for t in tag_objects]).update(
            topic_count=F("topic_count") + 1
        )
    post = Post.objects.create(topic=topic, number=1, author=author, raw=raw, html=render(raw))
    link_uploads(post, new=True)
    topic.image = first_image(post.html)[:500]
    if topic.image:
        Topic.objects.filter(pk=topic.pk).update(image=topic.image)
    Category.objects.filter(id=category.id).update(
        topic_count=F("topic_count") + 1, post_count=F("post_count") + 1
    )
    TopicUser.objects.create(
        topic=topic,
        user=author,
        last_read_post_number=1,
        notification_level=NotificationLevel.WATCHING,
    )
    Draft.objects.filter(user=author, key="new-topic").delete()
    transaction.on_commit(lambda: signals.post_created.send(sender=Post, post_id=post.id))
    return topic


def open_discussion(*, author: User, category_slug: str, title: str, raw: str) -> Topic | None:
    """The discussion topic other features (events, articles, launches, resources) attach to an
    item: in the named category if it exists and the author may post there, else none."""
    category = Category.objects.filter(slug=category_slug).first()
    if category is None:
        return None
    try:
        with transaction.atomic():
            return create_topic(author=author, category=category, title=title, raw=raw)
    except (PermissionDenied, ValidationError):
        return None  # the item stands without a discussion rather than failing


@transaction.atomic
def create_private_topic(*, author: User, recipients: list[User], title: str, raw: str) -> Topic:
    if not recipients:
        raise ValidationError({"recipients": _("Add at least one member to write to.")})
    title = _clean_title(title)
    raw = _clean_body(raw)
    _check_private_message(author, raw, len({*recipients} - {author}))
    now = timezone.now()
    topic = Topic.objects.create(
        title=title,
        is_private=True,
        author=author,
        bumped_at=now,
        last_posted_at=now,
        last_poster=author,
    )
    topic.participants.set({author, *recipients})
    post = Post.objects.create(topic=topic, number=1, author=author, raw=raw, html=render(raw))
    link_uploads(post, new=True)
    topic.image = first_image(post.html)[:500]
    if topic.image:
        Topic.objects.filter(pk=topic.pk).update(image=topic.image)
    for member in {author, *recipients}:
        TopicUser.objects.create(
            topic=topic,
            user=member,
            last_read_post_number=1 if member == author else 0,
            notification_level=NotificationLevel.WATCHING,
        )
    transaction.on_commit(lambda: signals.post_created.send(sender=Post, post_id=post.id))
    return topic


@transaction.atomic
def create_post(*, author: User, topic: Topic, raw: str, reply_to: Post | None = None) -> Post:
    # Lock the topic row: post numbers are handed out one at a time.
    topic = (
        Topic.objects.select_for_update(of=("self",)).select_related("category").get(pk=topic.pk)
    )
    access = permissions.category_access_for(author)
    if topic.closed and not permissions.is_staff(author):
        raise PermissionDenied(_("This topic is closed; it no longer accepts replies."))
    if not permissions.can_reply(author, topic, access):
        raise PermissionDenied(_("You may not reply in this topic."))
    raw = _clean_body(raw)
    if reply_to is not None and (reply_to.topic_id != topic.id or reply_to.deleted_at is not None):
        raise ValidationError({"reply_to": _("You can only reply to a post of this topic.")})
    _refuse_duplicate(author, raw)
    _check_limits(author, raw, is_topic=False)  # private replies too: each one is emailed
    number = topic.highest_post_number + 1
    post = Post.objects.create(
        topic=topic, number=number, author=author, raw=raw, html=render(raw), reply_to=reply_to
    )
    link_uploads(post, new=True)
    now = timezone.now()
    topic.post_count += 1  # the row is locked: the count read with it is the current one
    Topic.objects.filter(pk=topic.pk).update(
        highest_post_number=number,
        post_count=topic.post_count,
        trending_score=topic_score(topic),
        bumped_at=now,
        last_posted_at=now,
        last_poster=author,
    )
    if topic.category_id:
        Category.objects.filter(id=topic.category_id).update(post_count=F("post_count") + 1)
    topic_user, created = TopicUser.objects.get_or_create(
        topic=topic,
        user=author,
        defaults={
            "last_read_post_number": number,
            "notification_level": NotificationLevel.TRACKING,
        },
    )
    if not created:
        TopicUser.objects.filter(pk=topic_user.pk).update(last_read_post_number=number)
    Draft.objects.filter(user=author, key=f"reply-{topic.id}").delete()
    transaction.on_commit(lambda: signals.post_created.send(sender=Post, post_id=post.id))
    return post


@transaction.atomic
def edit_post(*, editor: User, post: Post, raw: str, title: str | None = None) -> Post:
    post = Post.objects.select_for_update(of=("self",)).select_related("topic").get(pk=post.pk)
    if not permissions.can_edit_post(editor, post):
        raise PermissionDenied(_("You may not edit this post."))
    raw = _clean_body(raw)
    topic = post.topic
    new_title = _clean_title(title) if (title is not None and post.is_first) else topic.title
    if raw == post.raw and new_title == topic.title:
        return post
    if raw != post.raw:
        _check_content(editor, raw)  # an edit may not add what a new post could not
    revision_number = post.revision_count + 1
    PostRevision.objects.create(
        post=post,
        number=revision_number,
        editor=editor,
        raw_before=post.raw,
        raw_after=raw,
        title_before=topic.title if new_title != topic.title else "",
        title_after=new_title if new_title != topic.title else "",
    )
    post.raw = raw
    post.html = render(raw)
    post.edited_at = timezone.now()
    post.revision_count = revision_number
    post.save(update_fields=["raw", "html", "edited_at", "revision_count"])
    link_uploads(post)
    if new_title != topic.title:
        Topic.objects.filter(pk=topic.pk).update(title=new_title)
    if post.is_first:
        refresh_topic_image(topic_id=topic.pk)
    transaction.on_commit(lambda: signals.post_edited.send(sender=Post, post_id=post.id))
    return post


def refresh_topic_image(*, topic_id: int) -> None:
    """The list thumbnail follows the first post: its first image while the post is readable by
    whoever sees the topic (not hidden by flags, not deleted), none otherwise."""
    first = Post.objects.filter(topic_id=topic_id, number=1).values("html", "hidden", "deleted_at")
    row = first.first()
    shown = row is not None and not row["hidden"] and row["deleted_at"] is None
    image = first_image(row["html"])[:500] if shown else ""
    Topic.objects.filter(pk=topic_id).exclude(image=image).update(image=image)


@transaction.atomic
def delete_post(*, actor: User, post: Post) -> Post:
    """Soft delete: the text stays in the database for staff to restore. Deleting the first post
    deletes the topic."""
    post = Post.objects.select_for_update(of=("self",)).select_related("topic").get(pk=post.pk)
    if not permissions.can_delete_post(actor, post):
        raise PermissionDenied(_("You may not delete this post."))
    now = timezone.now()
    Post.objects.filter(pk=post.pk).update(deleted_at=now, deleted_by=actor)
    if post.is_first:
        Topic.objects.filter(pk=post.topic_id).update(deleted_at=now)
    elif post.topic.accepted_answer_id == post.id:
        Topic.objects.filter(pk=post.topic_id).update(accepted_answer=None)
    post.refresh_from_db()
    transaction.on_commit(lambda: signals.post_hidden_or_deleted.send(sender=Post, post_id=post.id))
    if post.author_id != actor.pk:
        _log_staff(actor, post, "delete_post")
    return post


@transaction.atomic
def restore_post(*, actor: User, post: Post) -> Post:
    post = Post.objects.select_for_update().get(pk=post.pk)
    if not permissions.can_restore_post(actor, post):
        raise PermissionDenied(_("Only staff can restore deleted posts."))
    Post.objects.filter(pk=post.pk).update(deleted_at=None, deleted_by=None)
    if post.is_first:
        Topic.objects.filter(pk=post.topic_id).update(deleted_at=None)
    post.refresh_from_db()
    transaction.on_commit(lambda: signals.post_edited.send(sender=Post, post_id=post.id))
    if post.number == 1:
        refresh_topic_image(topic_id=post.topic_id)
    _log_staff(actor, post, "restore_post")
    return post


def _log_staff(actor: User, post: Post, action: str) -> None:
    transaction.on_commit(
        lambda: signals.staff_action.send(
            sender=Post,
            actor_id=actor.id,
            topic_id=post.topic_id,
            post_id=post.id,
            action=action,
            details={},
        )
    )


def like_post(*, user: User, post: Post) -> bool:
    """Returns False when the member had already liked it (a second click changes nothing)."""
    if not permissions.can_like_post(user, post):
        raise PermissionDenied(_("You cannot like this post."))
    try:
        with transaction.atomic():
            like = Like.objects.create(post=post, user=user)
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
            Topic.objects.filter(pk=post.topic_id).update(like_count=F("like_count") + 1)
            rescore_topic(post.topic_id)
            transaction.on_commit(lambda: signals.post_liked.send(sender=Like, like_id=like.id))
    except IntegrityError:
        return False
    return True


@transaction.atomic
def unlike_post(*, user: User, post: Post) -> bool:
    deleted, _details = Like.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - 1)
        Topic.objects.filter(pk=post.topic_id).update(like_count=F("like_count") - 1)
        rescore_topic(post.topic_id)
    return bool(deleted)


def toggle_bookmark(*, user: User, post: Post) -> bool:
    """Bookmark the post, or remove the bookmark; returns whether it is bookmarked now."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to bookmark posts."))
    deleted, _details = Bookmark.objects.filter(post=post, user=user).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Bookmark.objects.create(post=post, user=user)
    except IntegrityError:
        pass
    return True


@transaction.atomic
def accept_answer(*, user: User, post: Post) -> Topic:
    topic = (
        Topic.objects.select_for_update(of=("self",))
        .select_related("category")
        .get(pk=post.topic_id)
    )
    if not permissions.can_accept_answer(user, topic, post):
        raise PermissionDenied(_("Only the topic's author or staff can accept an answer here."))
    if post.deleted_at is not None:
        raise ValidationError(_("A deleted post cannot be the answer."))
    topic.accepted_answer = None if topic.accepted_answer_id == post.id else post
    topic.save(update_fields=["accepted_answer"])
    return topic


def record_read(
    *,
    user: User,
    topic: Topic,
    up_to: int,
    topic_user: TopicUser | None = None,
    known: bool = False,
) -> None:
    """Move the member's read position forward (never back). A caller that already looked up the
    member's TopicUser passes it with known=True, saving a query."""
    if not user.is_authenticated:
        return
    up_to = min(up_to, topic.highest_post_number)
    if known and topic_user is None:
        try:
            with transaction.atomic():
                TopicUser.objects.create(topic=topic, user=user, last_read_post_number=up_to)
            return
        except IntegrityError:
            pass  # created meanwhile by another request: fall through to the update
    elif known and topic_user is not None and topic_user.last_read_post_number >= up_to:
        return
    updated = TopicUser.objects.filter(
        topic=topic, user=user, last_read_post_number__lt=up_to
    ).update(last_read_post_number=up_to, last_visited_at=timezone.now())
    if not updated and not known:
        with transaction.atomic():
            TopicUser.objects.get_or_create(
                topic=topic, user=user, defaults={"last_read_post_number": up_to}
            )


VIEWS_PER_RESCORE = 10  # a view counts a tenth of a like in trending: rescore every tenth


def count_view(*, topic: Topic) -> None:
    """One more view: `UPDATE … SET view_count = view_count + 1 RETURNING view_count` written
    directly (the ORM builds and compiles that statement anew on every topic view); every
    tenth view also moves the trending score (two more queries, one view in ten)."""
    connection = connections[Topic.objects.db]
    quote = connection.ops.quote_name
    table, pk = quote(Topic._meta.db_table), quote(Topic._meta.pk.column)
    column = quote(Topic._meta.get_field("view_count").column)
    sql = f"UPDATE {table} SET {column} = {column} + 1 WHERE {pk} = %s RETURNING {column}"  # noqa: S608 (names)
    with connection.cursor() as cursor:
        cursor.execute(sql, [topic.pk])
        row = cursor.fetchone()
    if row and row[0] % VIEWS_PER_RESCORE == 0:
        rescore_topic(topic.pk)


def topic_score(topic: Topic) -> int:
    """agora.core.trending's score of a topic: likes, replies and a tenth of the views."""
    replies = max(topic.post_count - 1, 0)
    return trending.score(topic.like_count + replies + topic.view_count / 10, topic.created_at)


def rescore_topic(topic_id: int) -> None:
    """The trending score follows the counts it is made of."""
    topic = (
        Topic.objects.filter(pk=topic_id)
        .only("like_count", "post_count", "view_count", "created_at")
        .first()
    )
    if topic is not None:
        Topic.objects.filter(pk=topic_id).update(trending_score=topic_score(topic))


def set_topic_notification_level(*, user: User, topic: Topic, level: int) -> TopicUser:
    if level not in NotificationLevel.values:
        raise ValidationError(_("Unknown notification level."))
    topic_user, _created = TopicUser.objects.update_or_create(
        topic=topic, user=user, defaults={"notification_level": level}
    )
    return topic_user


def set_category_notification_level(*, user: User, category: Category, level: int) -> CategoryUser:
    """The member's level for a whole category; a topic's own level, when set, comes first
    (notifications.services.effective_level)."""
    if level not in NotificationLevel.values:
        raise ValidationError(_("Unknown notification level."))
    category_user, _created = CategoryUser.objects.update_or_create(
        category=category, user=user, defaults={"notification_level": level}
    )
    return category_user


# --- staff actions ------------------------------------------------------------------------------


def _require_staff(user: User) -> None:
    if not permissions.can_moderate(user):
        raise PermissionDenied(_("Only staff can do this."))


@transaction.atomic
def set_topic_state(
    *,
    actor: User,
    topic: Topic,
    closed: bool | None = None,
    pinned_globally: bool | None = None,
    pinned_in_category: bool | None = None,
) -> Topic:
    _require_staff(actor)
    fields = {}
    if closed is not None:
        fields["closed"] = closed
    if pinned_globally is not None:
        fields["pinned_globally"] = pinned_globally
    if pinned_in_category is not None:
        fields["pinned_in_category"] = pinned_in_category
    for name, value in fields.items():
        setattr(topic, name, value)
    if fields:
        topic.save(update_fields=list(fields))
        transaction.on_commit(
            lambda: signals.staff_action.send(
                sender=Topic, actor_id=actor.id, topic_id=topic.id, action="state", details=fields
            )
        )
    return topic


@transaction.atomic
def move_topic(*, actor: User, topic: Topic, category: Category) -> Topic:
    _require_staff(actor)
    if topic.is_private:
        raise ValidationError(_("Private messages cannot be moved into a category."))
    old = topic.category_id
    if old == category.id:
        return topic
    topic.category = category
    topic.save(update_fields=["category"])
    Category.objects.filter(id=old).update(
        topic_count=F("topic_count") - 1, post_count=F("post_count") - topic.post_count
    )
    Category.objects.filter(id=category.id).update(
        topic_count=F("topic_count") + 1, post_count=F("post_count") + topic.post_count
    )
    transaction.on_commit(
        lambda: signals.staff_action.send(
            sender=Topic,
            actor_id=actor.id,
            topic_id=topic.id,
            action="move",
            details={"from": old, "to": category.id},
        )
    )
    return topic


# --- drafts ------------------------------------------------------------------------------------


# ASCII digits of an id that fits the column ("reply-²" or 60 digits are not drafts).
DRAFT_KEY = re.compile(r"new-topic|reply-[1-9][0-9]{0,9}")


def draft_key_for(topic: Topic | None) -> str:
    return f"reply-{topic.id}" if topic is not None else "new-topic"


def save_draft(*, user: User, key: str, raw: str, title: str = "") -> None:
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to keep drafts."))
    if not DRAFT_KEY.fullmatch(key):
        raise ValidationError(_("Unknown draft."))
    raw = raw[:BODY_MAX]
    title = title[:TITLE_MAX]
    if not raw.strip() and not title.strip():
        discard_draft(user=user, key=key)
        return
    Draft.objects.update_or_create(user=user, key=key, defaults={"raw": raw, "title": title})


def discard_draft(*, user: User, key: str) -> None:
    Draft.objects.filter(user=user, key=key).delete()


# --- uploads -----------------------------------------------------------------------------------

_UPLOAD_NAME = re.compile(r"/media/(uploads/\d+/[\w.-]+)")


def link_uploads(post: Post, *, new: bool = False) -> None:
    """Record which uploads the post's text shows (PostUpload), so an image is served to whoever
    may see a post using it. Called on every create and edit; an image dropped from the text is
    unlinked. Only the post author's own uploads are linked: quoting someone else's image URL
    does not make it visible to more people than its own posts reach."""
    names = set(_UPLOAD_NAME.findall(post.raw))
    wanted = set(
        Upload.objects.filter(user_id=post.author_id, file__in=names).values_list("id", flat=True)
        if names
        else ()
    )
    if new and not wanted:
        return  # a new post without images: no query
    linked = (
        set()
        if new
        else set(PostUpload.objects.filter(post=post).values_list("upload_id", flat=True))
    )
    if linked - wanted:
        PostUpload.objects.filter(post=post, upload_id__in=linked - wanted).delete()
    if wanted - linked:
        PostUpload.objects.bulk_create(
            [PostUpload(post=post, upload_id=i) for i in sorted(wanted - linked)],
            ignore_conflicts=True,
        )


UPLOAD_MAX_BYTES = 10 * 1024 * 1024
UPLOAD_MAX_PIXELS = 40_000_000
UPLOAD_MAX_SIDE = 2048
UPLOADS_PER_HOUR = 30


def upload_image(*, user: User, upload) -> Upload:
    """Check, shrink to at most 2048 px and re-encode an image for a post; metadata is dropped."""
    import secrets

    from django.core.files.base import ContentFile
    from PIL import Image

    from agora.core.images import encode_webp, open_checked_image

    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to upload images."))
    recent = Upload.objects.filter(user=user, created_at__gte=timezone.now() - timedelta(hours=1))
    if not permissions.is_staff(user) and recent.count() >= UPLOADS_PER_HOUR:
        raise ValidationError(_("You uploaded many images in the last hour; try again later."))
    image = open_checked_image(upload, max_bytes=UPLOAD_MAX_BYTES, max_pixels=UPLOAD_MAX_PIXELS)
    image.thumbnail((UPLOAD_MAX_SIDE, UPLOAD_MAX_SIDE), Image.Resampling.LANCZOS)
    data = encode_webp(image)
    record = Upload(
        user=user,
        original_name=(upload.name or "")[:255],
        width=image.width,
        height=image.height,
        size=len(data),
    )
    record.file.save(f"{secrets.token_hex(10)}.webp", ContentFile(data), save=False)
    try:
        record.save()
    except Exception:
        record.file.storage.delete(record.file.name)  # nothing half-written
        raise
    return record


def upload_markdown(record: Upload, filename: str) -> str:
    """What the composer inserts for an uploaded image: the file name (without brackets) as the
    alt text."""
    alt = re.sub(r"[\[\]()\n]", "", (filename or "image").rsplit(".", 1)[0])[:80] or "image"
    return f"![{alt}]({record.file.url})"


def resolve_recipients(*, author: User, names: list[str]) -> list[User]:
    """Usernames (with or without @) → active members other than the author; unknown names are
    a ValidationError naming them."""
    names = [n.strip().lstrip("@") for n in names if n.strip().lstrip("@")]
    found = list(User.objects.filter(username__in=names, is_active=True).exclude(pk=author.pk))
    missing = sorted(set(names) - {u.username for u in found} - {author.username})
    if missing:
        raise ValidationError(
            {"recipients": _("No such member: %(names)s") % {"names": ", ".join(missing)}}
        )
    return found


# --- a member leaving ----------------------------------------------------------------------------


def withdraw_likes(*, user: User) -> None:
    """Before a member is deleted: their likes leave the posts' and topics' counts."""
    from agora.core.counters import withdraw_marks

    likes = Like.objects.filter(user=user)
    withdraw_marks(likes, target="post", counted=Post, field="like_count")
    withdraw_marks(likes, target="post__topic", counted=Topic, field="like_count")
    likes.delete()


def add_to_draft(*, user: User, key: str, raw: str, title: str = "") -> None:
    """Share something into the composer without losing what the member was writing: the text
    goes after the saved draft's, and a saved title is kept."""
    existing = Draft.objects.filter(user=user, key=key).first()
    if existing is not None and existing.raw.strip():
        raw = f"{existing.raw.rstrip()}\n\n{raw}"
    if existing is not None and existing.title.strip():
        title = existing.title
    if len(raw) > BODY_MAX:
        raise ValidationError(_("Your draft is too long to add this; post or shorten it first."))
    save_draft(user=user, key=key, raw=raw, title=title)
