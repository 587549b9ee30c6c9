"""Writes of the notifications app: who hears about a new post or a like, the emails that follow,
and marking notifications read. Every function is safe to run twice (tasks may be retried)."""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.markdown import extract_mentions
from agora.core.services import language_of, queue_member_email
from agora.core.text import excerpt
from agora.forum import permissions
from agora.forum.models import CategoryUser, Like, NotificationLevel, Post, Topic, TopicUser
from agora.notifications.models import Notification, NotificationSettings

logger = logging.getLogger(__name__)

Kind = Notification.Kind
MAX_MENTIONS = 20  # like Discourse's max_mentions_per_post: a post cannot page the whole forum
MAX_QUOTES = 20
# Most important first: one post gives each member at most one notification, the first that fits.
PRIORITY = [
    Kind.MENTION,
    Kind.QUOTE,
    Kind.REPLY,
    Kind.PRIVATE_MESSAGE,
    Kind.WATCHING,
    Kind.FOLLOWED,
]
# The quote button links to /t/<slug>/<topic id>/<number>/#post-<number>.
QUOTE_LINK = re.compile(r"\]\(\s*(?:https?://[^\s/)]+)?/t/[^/\s)]+/(\d+)/(\d+)/")
_BLOCKQUOTE_LINE = re.compile(r"^ {0,3}>.*$", re.MULTILINE)


def mentioned_names(raw: str) -> list[str]:
    """Mentions written by the author: those inside quotes (the quote header's @name included)
    belong to the quoted text and do not notify again."""
    return extract_mentions(_BLOCKQUOTE_LINE.sub("", raw))[:MAX_MENTIONS]


def quoted_posts(raw: str) -> list[tuple[int, int]]:
    """(topic id, post number) of every post the text links to the way the quote button does."""
    found: list[tuple[int, int]] = []
    for match in QUOTE_LINK.finditer(unquote(raw)):
        key = (int(match.group(1)), int(match.group(2)))
        if key not in found:
            found.append(key)
    return found[:MAX_QUOTES]


def effective_level(topic_level: int | None, category_level: int | None) -> int:
    """Discourse's rule: a topic muted by the member stays muted; a topic the member never set
    (or left at Normal) follows the category; otherwise the louder of the two wins (posting
    makes a topic Tracking, which must not silence a watched category)."""
    if topic_level == NotificationLevel.MUTED:
        return NotificationLevel.MUTED
    if topic_level in (None, NotificationLevel.NORMAL):
        return NotificationLevel.NORMAL if category_level is None else category_level
    return max(topic_level, category_level or NotificationLevel.MUTED)


def _levels(topic: Topic, user_ids: set[int]) -> dict[int, int]:
    """Each of these members' effective level for the topic (Normal without any setting)."""
    if not user_ids:
        return {}
    by_topic = dict(
        TopicUser.objects.filter(topic=topic, user_id__in=user_ids).values_list(
            "user_id", "notification_level"
        )
    )
    by_category = (
        dict(
            CategoryUser.objects.filter(
                category_id=topic.category_id, user_id__in=user_ids
            ).values_list("user_id", "notification_level")
        )
        if topic.category_id
        else {}
    )
    return {uid: effective_level(by_topic.get(uid), by_category.get(uid)) for uid in user_ids}


def _can_see(user: User, topic: Topic) -> bool:
    if not user.is_active:
        return False
    if topic.is_private:
        # Only participants hear about a private message, staff included.
        return topic.participants.filter(pk=user.pk).exists()
    return permissions.can_see_topic(user, topic, permissions.category_access_for(user))


def _recipients_for_post(post: Post) -> dict[int, str]:
    """user id → kind, before the visibility check."""
    topic = post.topic
    candidates: dict[int, list[str]] = {}

    def add(user_id: int | None, kind: str) -> None:
        if user_id is not None and user_id != post.author_id:
            candidates.setdefault(user_id, []).append(kind)

    names = mentioned_names(post.raw)
    if names:
        by_name = Q()
        for name in names:
            by_name |= Q(username__iexact=name)
        for user_id in User.objects.filter(by_name).values_list("id", flat=True):
            add(user_id, Kind.MENTION)
    quotes = quoted_posts(post.raw)
    if quotes:
        by_position = Q()
        for topic_id, number in quotes:
            by_position |= Q(topic_id=topic_id, number=number)
        quoted = Post.objects.filter(by_position, deleted_at=None).exclude(pk=post.pk)
        for author_id in quoted.values_list("author_id", flat=True):
            add(author_id, Kind.QUOTE)
    if post.reply_to_id is not None:
        reply_to = Post.objects.filter(pk=post.reply_to_id).values_list("author_id", flat=True)
        add(reply_to.first(), Kind.REPLY)
    elif not post.is_first:
        add(topic.author_id, Kind.REPLY)
    # Only rows saying Watching can make someone a watcher; readers of a topic are many.
    watchers = set(
        TopicUser.objects.filter(
            topic=topic, notification_level=NotificationLevel.WATCHING
        ).values_list("user_id", flat=True)
    )
    if topic.category_id:
        watchers |= set(
            CategoryUser.objects.filter(
                category_id=topic.category_id, notification_level=NotificationLevel.WATCHING
            ).values_list("user_id", flat=True)
        )
    if post.is_first and not topic.is_private:
        for user_id in _followers_who_want_it(post.author_id):
            add(user_id, Kind.FOLLOWED)
    levels = _levels(topic, (watchers | set(candidates)) - {post.author_id})
    for user_id in watchers:
        if levels.get(user_id) == NotificationLevel.WATCHING:
            add(user_id, Kind.PRIVATE_MESSAGE if topic.is_private else Kind.WATCHING)
    if topic.is_private and post.is_first:
        for user_id in topic.participants.values_list("id", flat=True):
            add(user_id, Kind.PRIVATE_MESSAGE)
    return {
        user_id: min(kinds, key=PRIORITY.index)
        for user_id, kinds in candidates.items()
        if levels.get(user_id, NotificationLevel.NORMAL) != NotificationLevel.MUTED
    }


def notify_post_created(*, post_id: int) -> list[Notification]:
    """Create the notifications a new post causes; returns the ones created by this call."""
    post = (
        Post.objects.select_related("topic", "topic__category", "author")
        .filter(pk=post_id, deleted_at=None, hidden=False, topic__deleted_at=None)
        .first()
    )
    if post is None:
        return []
    wanted = _recipients_for_post(post)
    if not wanted:
        return []
    members = User.objects.filter(pk__in=wanted, is_active=True)
    created = []
    for member in members:
        if not _can_see(member, post.topic):
            continue
        notification = _create_once(
            user=member,
            kind=wanted[member.pk],
            actor=post.author,
            topic=post.topic,
            post=post,
            created_at=post.created_at,
        )
        if notification is not None:
            created.append(notification)
    return created


def notify_post_liked(*, like_id: int) -> Notification | None:
    """Tell the author their post was liked. Likes of one post share one notification: a later
    like brings it back as unread with the newest liker (Discourse collapses them likewise)."""
    like = (
        Like.objects.select_related("post", "post__topic", "post__author", "user")
        .filter(pk=like_id, post__deleted_at=None, post__topic__deleted_at=None)
        .first()
    )
    if like is None or like.user_id == like.post.author_id:
        return None
    post, author = like.post, like.post.author
    levels = _levels(post.topic, {author.pk})
    if levels.get(author.pk) == NotificationLevel.MUTED or not _can_see(author, post.topic):
        return None
    notification = _create_once(
        user=author,
        kind=Kind.LIKE,
        actor=like.user,
        topic=post.topic,
        post=post,
        created_at=like.created_at,
    )
    if notification is None:
        # Conditional update: running twice for the same like changes nothing the second time.
        Notification.objects.filter(
            user=author, kind=Kind.LIKE, post=post, created_at__lt=like.created_at
        ).update(actor=like.user, created_at=like.created_at, read_at=None)
    return notification


def _followers_who_want_it(member_id: int) -> list[int]:
    """The active followers of a member who did not turn off hearing about their new things."""
    return list(
        User.objects.filter(is_active=True, following__followed_id=member_id)
        .exclude(notification_settings__notify_on_followed=False)
        .values_list("id", flat=True)
    )


def notify_followers(*, kind: str, object_id: int) -> list[Notification]:
    """A followed member's new public work or model: a notification in each follower's bell
    (who asked for them and may see it; a new topic goes through `notify_post_created`)."""
    from agora.gallery.models import Work
    from agora.gallery.permissions import can_see_work
    from agora.lab.models import LabModel
    from agora.lab.permissions import can_see_model

    if kind == "work":
        thing = Work.objects.select_related("author").filter(pk=object_id).first()
        author, can_see, field = (thing.author if thing else None), can_see_work, "work"
    elif kind == "model":
        thing = LabModel.objects.select_related("owner").filter(pk=object_id).first()
        author, can_see, field = (thing.owner if thing else None), can_see_model, "lab_model"
    else:
        logger.error("notify_followers: unknown kind %r (object %s)", kind, object_id)
        return []
    if thing is None or thing.private:
        return []  # gone, or only its author's (staff who could open it are not told either)
    created = []
    followers = User.objects.filter(pk__in=_followers_who_want_it(author.pk))
    if field == "work" and thing.nsfw > Work.NSFW.NONE:
        # A suggestive or mature work: only followers who opted in to see that level unblurred
        # (the gallery blurs it for the others; a bell line would point them at it anyway).
        followers = followers.filter(gallery_settings__max_nsfw__gte=thing.nsfw)
    for member in followers:
        if not can_see(member, thing):
            continue
        notification = _create_once(
            user=member,
            kind=Kind.FOLLOWED,
            actor=author,
            created_at=thing.created_at,
            **{field: thing},
        )
        if notification is not None:
            created.append(notification)
    return created


def _create_once(**fields) -> Notification | None:
    """The notification, or None when an earlier run already created it."""
    try:
        with transaction.atomic():
            notification = Notification.objects.create(**fields)
    except IntegrityError:
        return None
    _email_if_wanted(notification)
    return notification


# --- challenges and contests --------------------------------------------------------------------

CHALLENGE_KINDS = (
    Kind.ENTRY_SCORED,
    Kind.ENTRY_REFUSED,
    Kind.CHALLENGE_CLOSING,
    Kind.CHALLENGE_WON,
    Kind.CONTEST_VOTING,
    Kind.CONTEST_RESULTS,
)


def notify_about(
    *, user: User, kind: str, challenge=None, submission=None, contest=None
) -> Notification | None:
    """A notice about a challenge, an entry or a contest (agora/challenges/notices.py decides who
    hears): in the bell, and by email unless the member turned challenge emails off. None when
    an earlier run already told them."""
    if kind not in CHALLENGE_KINDS:
        raise ValueError(f"not a challenge notice: {kind}")
    return _create_once(
        user=user, kind=kind, challenge=challenge, submission=submission, contest=contest
    )


# --- email ---------------------------------------------------------------------------------------


def site_url(path: str) -> str:
    return f"{settings.AGORA_SITE_URL}{path}"


def _email_if_wanted(notification: Notification) -> None:
    member = notification.user
    if notification.kind in CHALLENGE_KINDS:
        _email_challenge_notice(notification)
        return
    if notification.kind not in (Kind.MENTION, Kind.REPLY, Kind.PRIVATE_MESSAGE):
        return
    if not member.email:
        return
    if not wants_email(member, notification.kind):
        return
    actor = notification.actor.name if notification.actor else _("Someone")
    topic = notification.topic.title
    # The excerpt comes from the rendered (sanitised) Markdown, never from cutting its source.
    excerpt_html, excerpt_text = excerpt(
        notification.post.html if notification.post else "", base=settings.AGORA_SITE_URL
    )
    with translation.override(language_of(member)):
        subjects = {
            Kind.MENTION: _("%(actor)s mentioned you in “%(topic)s”"),
            Kind.REPLY: _("%(actor)s replied to you in “%(topic)s”"),
            Kind.PRIVATE_MESSAGE: _("%(actor)s sent you a message: “%(topic)s”"),
        }
        what = subjects[notification.kind] % {"actor": actor, "topic": topic}
    queue_member_email(
        member=member,
        subject=f"[Agora] {what}",
        template="notifications/email/notification",
        context={
            "what": what,
            "excerpt_html": excerpt_html,
            "excerpt_text": excerpt_text,
            "link": site_url(notification.target_url()),
            "settings_url": site_url("/notifications/settings/"),
        },
        unsubscribe_url=unsubscribe_url(member=member, kind=notification.kind),
    )


def _email_challenge_notice(notification: Notification) -> None:
    member = notification.user
    if not member.email or not wants_email(member, CHALLENGES):
        return
    entry = notification.submission
    with translation.override(language_of(member)):
        subjects = {
            Kind.ENTRY_SCORED: _("Your entry in “%(title)s” was scored and verified"),
            Kind.ENTRY_REFUSED: _("Your entry in “%(title)s” was refused"),
            Kind.CHALLENGE_CLOSING: _("“%(title)s” closes tomorrow"),
            Kind.CHALLENGE_WON: _("You placed in “%(title)s”"),
            Kind.CONTEST_VOTING: _("Voting opened in “%(title)s”"),
            Kind.CONTEST_RESULTS: _("The results of “%(title)s” are out"),
        }
        what = subjects[notification.kind] % {"title": notification.title}
        detail = ""
        if entry is not None and notification.kind == Kind.ENTRY_REFUSED:
            detail = entry.refusal
        elif entry is not None and entry.score is not None:
            detail = _("%(metric)s %(score).5g with %(minutes).2f CPU-minutes") % {
                "metric": notification.challenge.metric,
                "score": entry.score,
                "minutes": entry.cpu_minutes,
            }
    queue_member_email(
        member=member,
        subject=f"[Agora] {what}",
        template="notifications/email/notification",
        context={
            "what": what,
            "detail": detail,
            "link": site_url(notification.target_url()),
            "settings_url": site_url("/notifications/settings/"),
        },
        unsubscribe_url=unsubscribe_url(member=member, kind=CHALLENGES),
    )


# --- one-click unsubscribe (RFC 8058) ------------------------------------------------------------

_UNSUBSCRIBE_SALT = "agora.notifications.unsubscribe"
EVENTS = "events"  # the emails about events a member signed up for
CHALLENGES = "challenges"  # the emails about entries, followed challenges and entered contests
# The email kinds a link can turn off, and the setting each one clears.
UNSUBSCRIBE_FIELDS = {
    Kind.MENTION: "email_on_mention",
    Kind.REPLY: "email_on_reply",
    Kind.PRIVATE_MESSAGE: "email_on_private_message",
    EVENTS: "email_on_events",
    CHALLENGES: "email_on_challenges",
}


def wants_email(member: User, kind: str) -> bool:
    """Whether the member's settings let this kind of email through (no row: the defaults)."""
    preferences = NotificationSettings.objects.filter(user=member).first()
    return preferences is None or getattr(preferences, UNSUBSCRIBE_FIELDS[kind])


def unsubscribe_label(kind: str) -> str:
    """What a member stops getting with this unsubscribe link, in the active language."""
    if kind == EVENTS:
        return _("emails about events you signed up for")
    if kind == CHALLENGES:
        return _("emails about your challenge entries, challenges you follow and contests")
    return str(Kind(kind).label)


def unsubscribe_url(*, member: User, kind: str) -> str:
    """The signed address that stops this kind of email for this member, without logging in."""
    token = signing.dumps({"u": member.pk, "k": kind}, salt=_UNSUBSCRIBE_SALT, compress=True)
    return site_url(reverse("notifications:unsubscribe", kwargs={"token": token}))


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The member and email kind a token stands for, or None for a forged or stale token."""
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
        user_id, kind = int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    member = User.objects.filter(pk=user_id, is_active=True).first()
    if member is None or kind not in UNSUBSCRIBE_FIELDS:
        return None
    return member, kind


def unsubscribe(*, member: User, kind: str) -> NotificationSettings:
    """Stop one kind of notification email; running it twice changes nothing more."""
    preferences, _created = NotificationSettings.objects.update_or_create(
        user=member, defaults={UNSUBSCRIBE_FIELDS[kind]: False}
    )
    return preferences


# --- reading -------------------------------------------------------------------------------------


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the member's own notifications read (another's: DoesNotExist)."""
    notification = Notification.objects.select_related(
        "topic", "post", "post__topic", "work", "lab_model", "challenge", "contest"
    ).get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at=None).update(
            read_at=notification.read_at
        )
    return notification


def mark_all_read(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at=None).update(read_at=timezone.now())


def update_settings(
    *,
    user: User,
    email_on_mention: bool,
    email_on_reply: bool,
    email_on_private_message: bool,
    email_on_events: bool | None = None,
    email_on_challenges: bool | None = None,
    notify_on_followed: bool | None = None,
) -> NotificationSettings:
    """Save the member's choices; `email_on_events`, `email_on_challenges` or
    `notify_on_followed` None keeps what they chose before."""
    defaults = {
        "email_on_mention": email_on_mention,
        "email_on_reply": email_on_reply,
        "email_on_private_message": email_on_private_message,
    }
    if email_on_events is not None:
        defaults["email_on_events"] = email_on_events
    if email_on_challenges is not None:
        defaults["email_on_challenges"] = email_on_challenges
    if notify_on_followed is not None:
        defaults["notify_on_followed"] = notify_on_followed
    preferences, _created = NotificationSettings.objects.update_or_create(
        user=user, defaults=defaults
    )
    return preferences


def settings_for(user: User) -> NotificationSettings:
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)
