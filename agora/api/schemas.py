"""What the API returns. Fields are explicit so the OpenAPI schema says exactly what comes back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, create_model, model_validator
from pydantic_core import PydanticCustomError


def page_of(item: type[Schema]) -> type[Schema]:
    """A cursor page of items: `next_cursor` is opaque; pass it back as `?cursor=`."""
    return create_model(
        f"{item.__name__.removesuffix('Out')}Page",
        __base__=Schema,
        items=(list[item], ...),
        next_cursor=(str | None, None),
    )


class InSchema(Schema):
    """A request body: a JSON object and nothing else. (ninja's Schema reads fields as attributes
    of whatever it is given, so a list, a string or a number would otherwise pass as an object
    whose every field takes its default: `PUT /drafts/new-topic` with `[1]` saved an empty draft,
    which discarded the real one.)"""

    @model_validator(mode="before")
    @classmethod
    def _a_json_object(cls, values: Any) -> Any:
        given = values._obj if isinstance(values, DjangoGetter) else values
        if not isinstance(given, dict | BaseModel):
            raise PydanticCustomError("model_type", "The body must be a JSON object.")
        return values


class MemberRef(Schema):
    username: str
    display_name: str


def member_ref(user) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name}


class MemberOut(Schema):
    username: str
    display_name: str
    bio: str
    skills: list[str]
    interests: list[str]
    date_joined: datetime
    url: str


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    description: str
    color: str
    parent: str | None
    topic_count: int
    post_count: int
    can_create_topic: bool
    url: str


class TopicOut(Schema):
    id: int
    title: str
    category: str | None
    author: MemberRef
    tags: list[str]
    is_private: bool
    closed: bool
    pinned: bool
    post_count: int
    like_count: int
    created_at: datetime
    bumped_at: datetime
    url: str


class TopicDetailOut(TopicOut):
    accepted_answer_id: int | None
    can_reply: bool


class PostOut(Schema):
    id: int
    topic_id: int
    number: int
    author: MemberRef
    raw: str | None
    html: str | None
    reply_to: int | None
    deleted: bool
    hidden: bool
    like_count: int
    created_at: datetime
    edited_at: datetime | None
    url: str


class TagOut(Schema):
    name: str
    description: str
    topic_count: int


class TopicIn(InSchema):
    category: str
    title: str
    raw: str
    tags: list[str] = []


class PostIn(InSchema):
    raw: str
    reply_to: int | None = None


class PostEditIn(InSchema):
    raw: str
    title: str | None = None


class LikeOut(Schema):
    liked: bool
    like_count: int


class SearchHitOut(Schema):
    post: PostOut
    topic_title: str


class SearchOut(Schema):
    items: list[SearchHitOut]
    next_cursor: str | None


class RecipeOut(Schema):
    prompt: str
    negative_prompt: str
    seed: int | None
    sampler: str
    steps: int | None
    guidance: float | None
    width: int | None
    height: int | None
    model_name: str
    model_hash: str


class WorkOut(Schema):
    id: int
    title: str
    description: str
    author: MemberRef
    width: int
    height: int
    source: str
    licence: str
    nsfw: int
    tags: list[str]
    private: bool
    reaction_count: int
    image_url: str
    thumbnail_url: str
    recipe: RecipeOut | None
    created_at: datetime
    url: str


class WorkCreatedOut(WorkOut):
    notes: list[str]


class ReactionIn(InSchema):
    kind: str


class ReactionOut(Schema):
    reacted: bool
    reaction_count: int


class CommentIn(InSchema):
    raw: str


class CommentOut(Schema):
    id: int
    author: MemberRef
    html: str
    created_at: datetime


class DatasetOut(Schema):
    id: int
    key: str
    name: str
    status: str
    count: int
    classes: list[Any]
    size_bytes: int
    error: str
    created_at: datetime


class RunOut(Schema):
    id: int
    title: str
    owner: MemberRef
    family: str
    dataset: str
    preset: str
    steps: int
    seed: int
    private: bool
    status: str
    step: int
    total_steps: int
    metrics: dict[str, Any]
    error: str
    created_at: datetime
    finished_at: datetime | None
    url: str


class RunIn(InSchema):
    title: str = ""
    family: str
    dataset: str
    preset: str = "quick"
    steps: int | None = None  # None: the preset's steps for this family and data set
    seed: int = 0
    private: bool = False


class ModelOut(Schema):
    id: int
    name: str
    owner: MemberRef
    run_id: int
    family: str
    licence: str
    private: bool
    card_html: str
    checkpoint_sha256: str
    star_count: int
    created_at: datetime
    url: str


class StarOut(Schema):
    starred: bool
    star_count: int


class GenerationIn(InSchema):
    sampler: str
    steps: int
    guidance: float = 0.0
    seed: int | None = None
    labels: list[int] | None = None
    count: int = 1
    eta: float = 0.0


class GenerationOut(Schema):
    id: int
    model_id: int
    owner: MemberRef
    status: str
    recipe: dict[str, Any]
    recipe_hash: str
    images: list[dict[str, str]]
    images_sha256: str
    reproduces: int | None
    verified: bool | None
    error: str
    created_at: datetime
    url: str


class EventOut(Schema):
    id: int
    title: str
    kind: str
    organizer: MemberRef
    speakers: str
    description_html: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    venue: str
    capacity: int | None
    going_count: int
    waitlist_count: int
    cancelled: bool
    slides_url: str
    recording_url: str
    url: str


class RsvpOut(Schema):
    status: str | None


class LaunchOut(Schema):
    id: int
    name: str
    tagline: str
    description_html: str
    audience: str
    website: str
    repository: str
    owner: MemberRef
    vote_count: int
    launched_at: datetime
    url: str


class UpvoteOut(Schema):
    upvoted: bool
    vote_count: int


class PartnerRequestOut(Schema):
    id: int
    title: str
    role: str
    description_html: str
    skills: list[str]
    location: str
    remote: bool
    author: MemberRef
    expires_at: datetime
    closed: bool
    created_at: datetime
    url: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class MeOut(Schema):
    username: str
    display_name: str
    is_staff: bool
    scopes: list[str]
    token: TokenOut | None


class MessageIn(InSchema):
    recipients: list[str]
    title: str
    raw: str


class BookmarkOut(Schema):
    bookmarked: bool


class CollectionIn(InSchema):
    title: str


class CollectionOut(Schema):
    id: int
    title: str
    private: bool
    work_count: int


class PublishIn(InSchema):
    name: str
    card: str = ""
    licence: str = "cc-by-4.0"
    private: bool = False


class ShareIn(InSchema):
    index: int = 0
    title: str = ""


class EventIn(InSchema):
    title: str
    kind: str = "lecture"
    description: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = "UTC"
    online_url: str = ""
    venue: str = ""
    capacity: int | None = None
    speakers: str = ""


class LaunchIn(InSchema):
    name: str
    tagline: str
    description: str
    audience: str
    website: str
    repository: str = ""


class SignupIn(InSchema):
    note: str = ""
    consent: bool


class SignupOut(Schema):
    launch_id: int
    note: str
    created_at: datetime


class PartnerRequestIn(InSchema):
    title: str
    role: str
    description: str
    skills: str = ""
    location: str = ""
    remote: bool = True
    days: int = 30


# --- the caller's own settings, notifications, bookmarks, drafts -------------------------------


class ProfileOut(Schema):
    username: str
    display_name: str
    bio: str
    links: list[str]
    skills: list[str]
    interests: list[str]
    avatar_url: str | None
    language: str
    timezone: str
    gallery_max_nsfw: int


class ProfileIn(InSchema):
    """Only the fields sent change. `links` are http(s) URLs (at most 8); `skills` and `interests`
    are short tags (at most 20 each)."""

    display_name: str | None = None
    bio: str | None = None
    links: list[str] | None = None
    skills: list[str] | None = None
    interests: list[str] | None = None


class PreferencesIn(InSchema):
    """`language`: `en`, `zh-hans` or empty (follow the browser); `timezone`: an IANA name or
    empty; `gallery_max_nsfw`: the most explicit level the gallery shows you (0-2)."""

    language: str | None = None
    timezone: str | None = None
    gallery_max_nsfw: int | None = None


class EmailSettingsOut(Schema):
    email_on_mention: bool
    email_on_reply: bool
    email_on_private_message: bool


class EmailSettingsIn(InSchema):
    email_on_mention: bool | None = None
    email_on_reply: bool | None = None
    email_on_private_message: bool | None = None


class NotificationOut(Schema):
    id: int
    kind: str
    actor: MemberRef | None
    topic_id: int
    topic_title: str
    post_id: int | None
    post_number: int | None
    read: bool
    created_at: datetime
    url: str


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None
    unread_count: int


class ReadAllOut(Schema):
    marked: int


class BookmarkItemOut(Schema):
    post: PostOut
    topic_title: str


class DraftIn(InSchema):
    title: str = ""
    raw: str = ""


class DraftOut(Schema):
    """`key` is `new-topic` or `reply-<topic id>`. Saving an empty draft discards it
    (`updated_at` is then null)."""

    key: str
    title: str
    raw: str
    updated_at: datetime | None


class NotificationLevelIn(InSchema):
    level: str


class NotificationLevelOut(Schema):
    level: str


class UploadOut(Schema):
    url: str
    markdown: str


class RevisionOut(Schema):
    number: int
    editor: MemberRef
    raw_before: str
    raw_after: str
    title_before: str
    title_after: str
    created_at: datetime


# --- moderation --------------------------------------------------------------------------------


class TopicStateIn(InSchema):
    """Staff only. Fields left out stay as they are."""

    closed: bool | None = None
    pinned_in_category: bool | None = None
    pinned_globally: bool | None = None


class MoveIn(InSchema):
    category: str


class FlagIn(InSchema):
    """`reason`: `spam`, `off_topic`, `inappropriate` or `other` (then `message` is needed)."""

    reason: str
    message: str = ""


class FlagOut(Schema):
    id: int
    post_id: int
    reason: str
    message: str
    user: MemberRef
    created_at: datetime


class ReviewItemOut(Schema):
    post: PostOut
    pending_flags: int
    flags: list[FlagOut]


class ResolveIn(InSchema):
    """`agree` (the post stays hidden), `agree_delete` (and is deleted) or `disagree` (the flags
    are cleared and the post shown again)."""

    decision: str


class ResolveOut(Schema):
    post: PostOut


class StaffActionOut(Schema):
    id: int
    actor: MemberRef
    action: str
    topic_id: int | None
    post_id: int | None
    details: dict[str, Any]
    created_at: datetime


class NsfwIn(InSchema):
    """0: safe, 1: suggestive, 2: mature."""

    level: int


class MaterialsIn(InSchema):
    slides_url: str = ""
    recording_url: str = ""


# --- webhooks (staff) --------------------------------------------------------------------------


class WebhookIn(InSchema):
    url: str
    events: list[str]
    description: str = ""


class WebhookUpdateIn(InSchema):
    """Fields left out stay as they are."""

    url: str | None = None
    events: list[str] | None = None
    description: str | None = None
    active: bool | None = None


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    active: bool
    secret: str
    created_at: datetime


class DeliveryOut(Schema):
    id: int
    event: str
    status: str
    attempts: int
    response_code: int | None
    response_excerpt: str
    error: str
    next_retry_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class PreviewIn(InSchema):
    raw: str


class PreviewOut(Schema):
    html: str


class CollectionDetailOut(Schema):
    id: int
    title: str
    owner: MemberRef
    private: bool
    works: list[WorkOut]
    works_next_cursor: str | None


class SignupDetailOut(Schema):
    username: str
    email: str
    note: str
    consent: str
    created_at: datetime


class ShareRunIn(InSchema):
    """Empty `topic`: a new topic; otherwise the number or address of a topic to reply to."""

    topic: str = ""


class ComposerOut(Schema):
    """Where the composer now holds the card (as a draft): open it to post."""

    url: str


# --- learn -------------------------------------------------------------------------------------


class ArticleOut(Schema):
    slug: str
    title: str
    summary: str
    difficulty: str
    language: str
    area: str
    series: str | None
    series_part: int | None
    authors: list[MemberRef]
    revision_count: int
    created_at: datetime
    updated_at: datetime
    url: str


class ArticleDetailOut(ArticleOut):
    body: str
    body_html: str
    toc: list[list[Any]]
    can_edit: bool


class ArticleIn(InSchema):
    """`difficulty`: beginner, intermediate or advanced; `language`: en or zh-hans; `area`: one
    of the Learn sections. A `series` (by title) is made when new; `part` orders it."""

    title: str
    body: str
    difficulty: str
    language: str
    area: str
    summary: str = ""
    series: str = ""
    part: int | None = None


class ArticleEditIn(InSchema):
    title: str
    body: str
    summary: str = ""


class ArticleRevisionOut(Schema):
    number: int
    editor: MemberRef
    body_before: str
    body_after: str
    created_at: datetime


class ResourceOut(Schema):
    id: int
    kind: str
    title: str
    url: str
    description_html: str
    licence: str
    programming_language: str
    tags: list[str]
    arxiv_id: str
    paper_authors: str
    abstract: str
    use_count: int
    topic_url: str | None
    created_at: datetime
    link: str


class ResourceIn(InSchema):
    """`kind`: project, dataset or paper. A paper may give only its `arxiv_id` (the link is
    then made from it)."""

    kind: str
    title: str
    url: str = ""
    description: str = ""
    licence: str = ""
    programming_language: str = ""
    tags: str = ""
    arxiv_id: str = ""
    paper_authors: str = ""
    abstract: str = ""


class UseOut(Schema):
    uses: bool
    use_count: int
