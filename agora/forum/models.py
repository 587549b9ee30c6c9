"""The forum: categories with per-group permissions, topics, posts with revisions, tags, likes,
bookmarks, and each member's read position and notification level per topic and category."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

TITLE_MIN, TITLE_MAX = 5, 200
BODY_MIN, BODY_MAX = 2, 60_000


class Access(models.IntegerChoices):
    """What someone may do in a category; each level includes the ones below it."""

    NONE = 0, _("No access")
    SEE = 1, _("See")
    REPLY = 2, _("See and reply")
    CREATE = 3, _("See, reply and start topics")


class NotificationLevel(models.IntegerChoices):
    MUTED = 0, _("Muted")
    NORMAL = 1, _("Normal")
    TRACKING = 2, _("Tracking")
    WATCHING = 3, _("Watching")


class Tag(models.Model):
    name = models.CharField(
        _("name"),
        max_length=40,
        unique=True,
        validators=[RegexValidator(r"^[\w][\w.+#-]*$", _("Use letters, digits, - . + # only."))],
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    topic_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["-topic_count"], name="tag_topic_count_desc")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("forum:tag", kwargs={"name": self.name})


class TagGroup(models.Model):
    """A named set of tags; a category may restrict its topics to the tags of some groups."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    tags = models.ManyToManyField(Tag, related_name="groups", blank=True)

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    name = models.CharField(_("name"), max_length=80)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    description_zh = models.CharField(_("description (Chinese)"), max_length=500, blank=True)
    color = models.CharField(
        _("colour"),
        max_length=7,
        default="#7c3aed",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #7c3aed."))],
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    everyone_access = models.PositiveSmallIntegerField(
        _("access for everyone"),
        choices=Access.choices,
        default=Access.CREATE,
        help_text=_("Anonymous visitors get at most 'See'. Groups below can be granted more."),
    )
    is_question_answer = models.BooleanField(
        _("questions and answers"),
        default=False,
        help_text=_("Topic authors can accept an answer."),
    )
    allowed_tag_groups = models.ManyToManyField(
        TagGroup, blank=True, related_name="categories", verbose_name=_("allowed tag groups")
    )
    topic_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="category_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        if self.name_zh and translation.get_language() == "zh-hans":
            return self.name_zh
        return self.name

    @property
    def display_description(self) -> str:
        if self.description_zh and translation.get_language() == "zh-hans":
            return self.description_zh
        return self.description

    def get_absolute_url(self) -> str:
        return reverse("forum:category", kwargs={"slug": self.slug})


class CategoryGroupAccess(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="group_access")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="category_access")
    access = models.PositiveSmallIntegerField(choices=Access.choices, default=Access.CREATE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "group"], name="category_group_unique")
        ]


@lru_cache(maxsize=4096)
def topic_slug(title: str) -> str:
    """The title as it appears in a topic's URL (computed once per title: lists show many)."""
    return slugify(title, allow_unicode=True)[:80] or "topic"


class Topic(models.Model):
    title = models.CharField(
        _("title"), max_length=TITLE_MAX, validators=[MinLengthValidator(TITLE_MIN)]
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="topics"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="topics"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="topics")
    # A private message is a topic without category whose participants alone may see it.
    is_private = models.BooleanField(default=False)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="private_topics"
    )
    # set when the object is made (not by auto_now_add at the INSERT), so the trending
    # score save() starts it with is computed from this very timestamp
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    bumped_at = models.DateTimeField(db_index=True)
    last_posted_at = models.DateTimeField()
    last_poster = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    highest_post_number = models.PositiveIntegerField(default=1)
    post_count = models.PositiveIntegerField(default=1)
    like_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    # agora.core.trending.score(likes + replies + views / 10, created_at): services.rescore_topic
    trending_score = models.BigIntegerField(default=0)
    pinned_globally = models.BooleanField(default=False)
    pinned_in_category = models.BooleanField(default=False)
    closed = models.BooleanField(default=False)
    accepted_answer = models.ForeignKey(
        "Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The first image of the first post while anyone who sees the topic may read that post:
    # the topic lists' thumbnail, read with the row (services.refresh_topic_image).
    image = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["category", "-bumped_at", "-id"], name="topic_cat_bumped"),
            models.Index(fields=["-bumped_at", "-id"], name="topic_bumped"),
            models.Index(fields=["-created_at"], name="topic_created"),
            models.Index(fields=["-like_count", "-post_count"], name="topic_top"),
            models.Index(fields=["-trending_score", "-id"], name="topic_trending"),
            models.Index(fields=["author", "-created_at"], name="topic_author_created"),
            models.Index(
                fields=["-bumped_at"],
                condition=Q(pinned_globally=True) | Q(pinned_in_category=True),
                name="topic_pinned",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_private=True, category__isnull=True)
                | Q(is_private=False, category__isnull=False),
                name="topic_private_xor_category",
            )
        ]

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.trending_score:
            from agora.core.trending import score

            # a new topic starts where a new one with no likes does (services.topic_score)
            self.trending_score = score(0, self.created_at)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.title

    @cached_property
    def slug(self) -> str:
        return topic_slug(self.title)

    @property
    def unread_posts(self) -> int:
        """Posts past the viewer's read position (set by selectors as viewer_last_read)."""
        last_read = getattr(self, "viewer_last_read", None)
        return max(0, self.highest_post_number - last_read) if last_read is not None else 0

    @property
    def tag_names(self) -> list[str]:
        """The names a topic row shows: from the list selectors (`row_tags`), else the tags."""
        names = getattr(self, "row_tags", None)
        if names is None:
            names = [tag.name for tag in self.tags.all()]
        return names

    @property
    def is_solved(self) -> bool:
        return self.accepted_answer_id is not None

    def get_absolute_url(self) -> str:
        return reverse("forum:topic", kwargs={"slug": self.slug, "topic_id": self.id})

    def get_post_url(self, number: int) -> str:
        return reverse(
            "forum:topic_post", kwargs={"slug": self.slug, "topic_id": self.id, "number": number}
        )


class Post(models.Model):
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="posts")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="posts"
    )
    raw = models.TextField(
        _("text"), max_length=BODY_MAX, validators=[MinLengthValidator(BODY_MIN)]
    )
    html = models.TextField()
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    revision_count = models.PositiveIntegerField(default=0)
    like_count = models.PositiveIntegerField(default=0)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["topic", "number"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "number"], name="post_number_unique")
        ]
        indexes = [
            models.Index(fields=["author", "-created_at"], name="post_author_created"),
            models.Index(fields=["-created_at"], name="post_created"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}#{self.number}"

    @property
    def is_first(self) -> bool:
        return self.number == 1

    def get_absolute_url(self) -> str:
        return self.topic.get_post_url(self.number)


class PostRevision(models.Model):
    """One edit: what the text (and the title, for a first post) was before and after."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    raw_before = models.TextField()
    raw_after = models.TextField()
    title_before = models.CharField(max_length=TITLE_MAX, blank=True)
    title_after = models.CharField(max_length=TITLE_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["post", "number"]
        constraints = [
            models.UniqueConstraint(fields=["post", "number"], name="revision_number_unique")
        ]


class Like(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="like_once")]
        indexes = [models.Index(fields=["user", "-created_at"], name="like_user_created")]


class Bookmark(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="bookmarks")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bookmarks"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="bookmark_once")]
        indexes = [  # the keyset of a member's bookmarks page
            models.Index(fields=["user", "-created_at", "-id"], name="bookmark_user_created")
        ]


class TopicUser(models.Model):
    """A member's relation to a topic: how far they read and how much they want to hear."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="topic_users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_users"
    )
    last_read_post_number = models.PositiveIntegerField(default=0)
    notification_level = models.PositiveSmallIntegerField(
        choices=NotificationLevel.choices, default=NotificationLevel.NORMAL
    )
    first_visited_at = models.DateTimeField(auto_now_add=True)
    last_visited_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="topic_user_unique")]
        indexes = [models.Index(fields=["user", "topic"], name="topic_user_lookup")]


class CategoryUser(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="category_users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_users"
    )
    notification_level = models.PositiveSmallIntegerField(
        choices=NotificationLevel.choices, default=NotificationLevel.NORMAL
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "user"], name="category_user_unique")
        ]


class Draft(models.Model):
    """What a member is writing, saved every few seconds so closing the tab loses nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    key = models.CharField(max_length=64)  # "new-topic" or "reply-<topic id>"
    title = models.CharField(max_length=TITLE_MAX, blank=True)
    raw = models.TextField(max_length=BODY_MAX, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="draft_unique")]
        indexes = [  # the keyset of a member's drafts pages
            models.Index(fields=["user", "-updated_at", "-id"], name="draft_user_updated")
        ]


def upload_path(instance: Upload, filename: str) -> str:
    return f"uploads/{instance.user_id}/{filename}"


class Upload(models.Model):
    """An image pasted or dropped into the composer, stored re-encoded without metadata."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    file = models.ImageField(upload_to=upload_path)
    original_name = models.CharField(max_length=255, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    posts = models.ManyToManyField("Post", through="PostUpload", related_name="uploads")

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="upload_user_created"),
            models.Index(fields=["file"], name="upload_file"),  # the media check looks it up
        ]


class PostUpload(models.Model):
    """A post shows an upload: who may see the post may fetch the image (agora.core.media_access).
    Kept by the forum services from the post's text on every create and edit."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    upload = models.ForeignKey(Upload, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["upload", "post"], name="postupload_upload_post")
        ]
