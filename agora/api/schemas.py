"""What the API returns. Fields are explicit so the OpenAPI schema says exactly what comes back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from agora.accounts.forms import MAX_LINKS
from agora.accounts.forms import MAX_TAGS as MAX_PROFILE_TAGS
from agora.accounts.models import User
from agora.api.models import WEBHOOK_EVENTS, WebhookEndpoint
from agora.core.limits import max_length
from agora.events.models import MAX_CAPACITY, Event
from agora.forum.models import BODY_MAX, TITLE_MAX, TITLE_MIN, NotificationLevel
from agora.gallery.models import Collection, Comment, Reaction, Work
from agora.lab.forms import PublishForm
from agora.lab.models import FAMILY_CHOICES, LabModel, TrainingRun
from agora.lab.services.texts import MAX_PROMPT_CHARS, MAX_TEXTS
from agora.learn.models import Article, Resource, Series
from agora.moderation.models import Flag
from agora.showcase.models import Launch, PartnerRequest, TrySignup
from agora.showcase.services import MAX_REQUEST_DAYS
from genlab.recipe import MAX_COUNT

# The allowed values and lengths below come from the models, forms and services that enforce
# them, so the schema tells generated clients exactly what the site accepts.


def one_of(values: Iterable[Any]) -> Any:
    """An enum in the schema: exactly these values."""
    return Literal[tuple(values)]


def text(model: Any, field: str, *, min_length: int = 0) -> Any:
    """A string no longer than the model field allows."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length(model, field))]


def limited(most: int, *, least: int = 0) -> Any:
    return Annotated[str, Field(min_length=least, max_length=most)]


SEED = Annotated[int, Field(ge=0, le=2**31 - 1)]
NSFW_LEVEL = one_of(Work.NSFW.values)
NOTIFICATION_LEVELS = {level.name.lower(): level.value for level in NotificationLevel}
LANGUAGES = [code for code, _name in settings.LANGUAGES]


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
    category: limited(100)
    title: limited(TITLE_MAX, least=TITLE_MIN)
    raw: limited(BODY_MAX, least=1)
    tags: list[limited(100)] = []


class PostIn(InSchema):
    raw: limited(BODY_MAX, least=1)
    reply_to: int | None = None


class PostEditIn(InSchema):
    raw: limited(BODY_MAX, least=1)
    title: limited(TITLE_MAX, least=TITLE_MIN) | None = None


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
    kind: one_of(Reaction.Kind.values)


class ReactionOut(Schema):
    reacted: bool
    reaction_count: int


class CommentIn(InSchema):
    raw: text(Comment, "raw", min_length=1)


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


class ModelRef(Schema):
    id: int
    name: str
    url: str


class RunOut(Schema):
    id: int
    title: str
    # a run the model zoo built: its entry's name (python -m genlab zoo list), else ""; and the
    # title the pages show, a zoo entry's in the request's language (Accept-Language)
    zoo_name: str
    display_title: str
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
    # a fine-tune: its base (null when the caller may not see it or it was removed; then
    # base_sha256 still names the weights it started from), and whether early layers were frozen
    # (freeze_early, runs made before freeze_blocks) or how many of its blocks (of `blocks`)
    base: ModelRef | None
    base_sha256: str
    freeze_early: bool
    freeze_blocks: int
    blocks: int
    # the learning rate it trains with, and whether the member chose it (else the preset's)
    lr: float | None
    lr_chosen: bool


class RunIn(InSchema):
    """`base_model`: the id of a published model the caller may see; the run fine-tunes it
    (same family; it keeps the base's network — for a text model its context, width, depth and
    tokenizer — and new classes or characters extend it). `freeze_blocks` (needs a base): keep
    its first N blocks fixed, at most as many as it has; `freeze_early`, the older option, its
    early layers (not with freeze_blocks). `lr`: the learning rate, 1e-6 to 0.1 (null: the
    preset's)."""

    title: text(TrainingRun, "title") = ""
    family: one_of(value for value, _label in FAMILY_CHOICES)
    dataset: text(TrainingRun, "dataset", min_length=1)
    preset: one_of(("quick", "quality")) = "quick"
    # None: the preset's steps for this family and data set
    steps: Annotated[int, Field(ge=10)] | None = None
    seed: SEED = 0
    private: bool = False
    base_model: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    freeze_early: bool = False
    freeze_blocks: Annotated[int, Field(ge=0, le=1000)] = 0
    lr: float | None = None


class ModelOut(Schema):
    id: int
    name: str
    # an official model of the zoo: its entry's name, else ""; and the name the pages show, a zoo
    # model's title in the request's language (Accept-Language). card_html is a zoo model's card
    # in that language too.
    official: bool
    zoo_name: str
    display_name: str
    # an earlier version of a zoo model: the id of the official model that replaced it (lists
    # leave it out; it stays, so its generations reproduce); null for any other model
    superseded_by: int | None = None
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
    # the model it was fine-tuned from (null: trained from scratch, or a base the caller may
    # not see or that was removed; base_sha256 is then still set)
    base: ModelRef | None
    base_sha256: str


class ModelDetailOut(ModelOut):
    """One model: also its fine-tunes the caller may see (most starred first, at most 12) and
    how many there are."""

    fine_tunes: list[ModelRef]
    fine_tune_count: int


class StarOut(Schema):
    starred: bool
    star_count: int


class GenerationIn(InSchema):
    """`count`: at most 1,024 points for a 2-D model, 64 images otherwise. `sampler`, `steps`,
    `eta` and `guidance` left out take the model family's measured defaults
    (genlab.config.SAMPLER_DEFAULTS, as the CLI and the site's form): e.g. DDIM-50, eta 1 and
    guidance 0.5 for a class-conditional diffusion model; eta only applies to DDIM and guidance
    only to a conditional model."""

    sampler: one_of(("ddpm", "ddim", "direct")) | None = None
    steps: Annotated[int, Field(ge=1, le=1000)] | None = None
    guidance: Annotated[float, Field(ge=0, le=20)] | None = None
    seed: SEED | None = None
    labels: Annotated[list[Annotated[int, Field(ge=0)]], Field(max_length=MAX_COUNT)] | None = None
    count: Annotated[int, Field(ge=1, le=MAX_COUNT)] = 1
    eta: Annotated[float, Field(ge=0, le=1)] | None = None


class TextGenerationIn(InSchema):
    """A text model's recipe, checked as the site's form checks it (genlab.gpt.TextRecipe):
    `form` (e.g. "wuyan-jueju" or 五言绝句) and `acrostic` only for a model trained on poems of
    that form; `seed` left out draws one; a form sets its own length."""

    prompt: limited(MAX_PROMPT_CHARS) = ""
    form: limited(20) = ""
    acrostic: limited(8) = ""
    temperature: Annotated[float, Field(ge=0, le=10)] = 0.8
    top_k: Annotated[int, Field(ge=0, le=100_000)] = 0
    top_p: Annotated[float, Field(gt=0, le=1)] = 1.0
    seed: SEED | None = None
    length: Annotated[int, Field(ge=1, le=2048)] = 120
    count: Annotated[int, Field(ge=1, le=MAX_TEXTS)] = 1


class GenerationOut(Schema):
    id: int
    model_id: int
    owner: MemberRef
    status: str
    kind: str  # "image" (images, points) or "text" (texts)
    recipe: dict[str, Any]
    recipe_hash: str
    texts: list[str]
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
    recipients: Annotated[list[limited(150)], Field(min_length=1, max_length=20)]
    title: limited(TITLE_MAX, least=TITLE_MIN)
    raw: limited(BODY_MAX, least=1)


class BookmarkOut(Schema):
    bookmarked: bool


class CollectionIn(InSchema):
    title: text(Collection, "title", min_length=1)


class CollectionOut(Schema):
    id: int
    title: str
    private: bool
    work_count: int


class PublishIn(InSchema):
    name: text(LabModel, "name", min_length=1)
    card: text(LabModel, "card") = ""
    licence: one_of(value for value, _label in PublishForm.base_fields["licence"].choices) = (
        "cc-by-4.0"
    )
    private: bool = False


class ShareIn(InSchema):
    index: Annotated[int, Field(ge=0, le=MAX_COUNT)] = 0
    title: text(Work, "title") = ""


class EventIn(InSchema):
    title: text(Event, "title", min_length=5)
    kind: one_of(Event.Kind.values) = "lecture"
    description: text(Event, "description", min_length=1)
    starts_at: datetime
    ends_at: datetime
    timezone: text(Event, "timezone") = "UTC"
    online_url: text(Event, "online_url") = ""
    venue: text(Event, "venue") = ""
    capacity: Annotated[int, Field(ge=1, le=MAX_CAPACITY)] | None = None
    speakers: text(Event, "speakers") = ""


class LaunchIn(InSchema):
    name: text(Launch, "name", min_length=2)
    tagline: text(Launch, "tagline", min_length=5)
    description: text(Launch, "description")
    audience: text(Launch, "audience", min_length=1)
    website: text(Launch, "website", min_length=1)
    repository: text(Launch, "repository") = ""


class SignupIn(InSchema):
    note: text(TrySignup, "note") = ""
    consent: bool


class SignupOut(Schema):
    launch_id: int
    note: str
    created_at: datetime


class PartnerRequestIn(InSchema):
    title: text(PartnerRequest, "title", min_length=5)
    role: one_of(PartnerRequest.Role.values)
    description: text(PartnerRequest, "description")
    skills: limited(500) = ""
    location: text(PartnerRequest, "location") = ""
    remote: bool = True
    days: Annotated[int, Field(ge=1, le=MAX_REQUEST_DAYS)] = 30


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

    display_name: text(User, "display_name") | None = None
    bio: text(User, "bio") | None = None
    links: Annotated[list[limited(500)], Field(max_length=MAX_LINKS)] | None = None
    skills: Annotated[list[limited(40)], Field(max_length=MAX_PROFILE_TAGS)] | None = None
    interests: Annotated[list[limited(40)], Field(max_length=MAX_PROFILE_TAGS)] | None = None


class PreferencesIn(InSchema):
    """`language`: `en`, `zh-hans` or empty (follow the browser); `timezone`: an IANA name or
    empty; `gallery_max_nsfw`: the most explicit level the gallery shows you (0-2)."""

    language: one_of(["", *LANGUAGES]) | None = None
    timezone: limited(64) | None = None
    gallery_max_nsfw: NSFW_LEVEL | None = None


class EmailSettingsOut(Schema):
    email_on_mention: bool
    email_on_reply: bool
    email_on_private_message: bool
    email_on_challenges: bool


class EmailSettingsIn(InSchema):
    email_on_mention: bool | None = None
    email_on_reply: bool | None = None
    email_on_private_message: bool | None = None
    email_on_challenges: bool | None = None


class NotificationOut(Schema):
    """A forum notification has `topic_id`; one about a challenge or contest (kinds
    `entry_scored`, `entry_refused`, `challenge_closing`, `challenge_won`, `contest_voting`,
    `contest_results`) has `challenge_id` or `contest_id`, and `topic_title` is its title."""

    id: int
    kind: str
    actor: MemberRef | None
    topic_id: int | None  # None for a work, model, challenge or contest notice
    topic_title: str  # the title of what it is about (topic, work, model, challenge, contest)
    challenge_id: int | None
    contest_id: int | None
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
    title: limited(TITLE_MAX) = ""
    raw: limited(BODY_MAX) = ""


class DraftOut(Schema):
    """`key` is `new-topic` or `reply-<topic id>`. Saving an empty draft discards it
    (`updated_at` is then null)."""

    key: str
    title: str
    raw: str
    updated_at: datetime | None


class NotificationLevelIn(InSchema):
    level: one_of(NOTIFICATION_LEVELS)


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
    category: limited(100, least=1)


class FlagIn(InSchema):
    """`reason`: `spam`, `off_topic`, `inappropriate` or `other` (then `message` is needed)."""

    reason: one_of(Flag.Reason.values)
    message: text(Flag, "message") = ""


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

    decision: one_of(("agree", "agree_delete", "disagree"))


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

    level: NSFW_LEVEL


class MaterialsIn(InSchema):
    slides_url: text(Event, "slides_url") = ""
    recording_url: text(Event, "recording_url") = ""


# --- webhooks (staff) --------------------------------------------------------------------------


WEBHOOK_EVENT = one_of(name for name, _label in WEBHOOK_EVENTS)


class WebhookIn(InSchema):
    url: text(WebhookEndpoint, "url", min_length=1)
    events: Annotated[list[WEBHOOK_EVENT], Field(min_length=1)]
    description: text(WebhookEndpoint, "description") = ""


class WebhookUpdateIn(InSchema):
    """Fields left out stay as they are."""

    url: text(WebhookEndpoint, "url", min_length=1) | None = None
    events: Annotated[list[WEBHOOK_EVENT], Field(min_length=1)] | None = None
    description: text(WebhookEndpoint, "description") | None = None
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
    raw: limited(BODY_MAX)


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

    topic: limited(500) = ""


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

    title: text(Article, "title", min_length=5)
    body: text(Article, "body", min_length=20)
    difficulty: one_of(Article.Difficulty.values)
    language: one_of(LANGUAGES)
    area: one_of(Article.Area.values)
    summary: text(Article, "summary") = ""
    series: text(Series, "title") = ""
    part: Annotated[int, Field(ge=1, le=1000)] | None = None


class ArticleEditIn(InSchema):
    title: text(Article, "title", min_length=5)
    body: text(Article, "body", min_length=20)
    summary: text(Article, "summary") = ""


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

    kind: one_of(Resource.Kind.values)
    title: text(Resource, "title", min_length=2)
    url: text(Resource, "url") = ""
    description: text(Resource, "description") = ""
    licence: text(Resource, "licence") = ""
    programming_language: text(Resource, "programming_language") = ""
    tags: limited(300) = ""
    arxiv_id: limited(60) = ""
    paper_authors: text(Resource, "paper_authors") = ""
    abstract: text(Resource, "abstract") = ""


class UseOut(Schema):
    uses: bool
    use_count: int
