"""Writes of moderation: flags and their review, the staff log, visits, stats and trust levels."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from agora.accounts.models import User
from agora.core.limits import check_lengths
from agora.forum import permissions
from agora.forum.models import Like, Post, Topic, TopicUser
from agora.moderation.models import CommunitySettings, DailyVisit, Flag, MemberStats, StaffAction

# Private messages: how many members one message may reach, and how many a day one may start.
PM_MAX_RECIPIENTS = {"new": 3, "member": 10}
PM_PER_DAY = {"new": 5, "member": 50}


def trust_level_of(user: User) -> int:
    if permissions.is_staff(user):
        return 4
    stats = MemberStats.objects.filter(user=user).only("trust_level").first()
    return stats.trust_level if stats else 0


# --- flags -------------------------------------------------------------------------------------


def flag_post(*, user: User, post: Post, reason: str, message: str = "") -> Flag:
    if not user.is_authenticated:
        raise PermissionDenied(_("Log in to flag posts."))
    if post.author_id == user.pk:
        raise ValidationError(_("You cannot flag your own post."))
    if reason not in Flag.Reason.values:
        raise ValidationError(_("Choose why you are flagging this post."))
    if reason == Flag.Reason.OTHER and not message.strip():
        raise ValidationError(_("Tell the moderators what is wrong."))
    check_lengths(Flag, message=message.strip())
    level = trust_level_of(user)
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                post=post,
                user=user,
                reason=reason,
                message=message.strip(),
                trust_level=level,
            )
            _hide_if_flagged_enough(post)
    except IntegrityError as exc:
        raise ValidationError(_("You have already flagged this post.")) from exc
    return flag


def _hide_if_flagged_enough(post: Post) -> None:
    pending = Flag.objects.filter(post=post, resolution=Flag.Resolution.PENDING)
    trusted = pending.filter(trust_level__gte=1).count()
    staff_flagged = pending.filter(trust_level__gte=4).exists()
    if staff_flagged or trusted >= CommunitySettings.current().flags_to_hide:
        Post.objects.filter(pk=post.pk).update(hidden=True)
        _announce_visibility_change(post.id)


@transaction.atomic
def resolve_flags(*, actor: User, post: Post, agree: bool, delete: bool = False) -> None:
    """Agree: the post stays hidden (or is deleted). Disagree: the flags are cleared and the post
    shown again."""
    if not permissions.can_moderate(actor):
        raise PermissionDenied(_("Only staff can review flags."))
    now = timezone.now()
    resolution = Flag.Resolution.AGREED if agree else Flag.Resolution.DISAGREED
    Flag.objects.filter(post=post, resolution=Flag.Resolution.PENDING).update(
        resolution=resolution, resolved_by=actor, resolved_at=now
    )
    Post.objects.filter(pk=post.pk).update(hidden=agree)
    _announce_visibility_change(post.id)
    if agree and delete:
        from agora.forum.services import delete_post

        delete_post(actor=actor, post=post)
    log_action(
        actor=actor,
        action="flags_agreed" if agree else "flags_disagreed",
        topic_id=post.topic_id,
        post_id=post.id,
        details={"deleted": bool(delete)},
    )


def _announce_visibility_change(post_id: int) -> None:
    """Search, notifications and others follow a post being hidden or shown again."""
    from agora.forum import signals

    transaction.on_commit(lambda: signals.post_hidden_or_deleted.send(sender=Post, post_id=post_id))


def log_action(
    *,
    actor: User | int,
    action: str,
    topic_id: int | None = None,
    post_id: int | None = None,
    details: dict | None = None,
) -> StaffAction:
    actor_id = actor if isinstance(actor, int) else actor.pk
    return StaffAction.objects.create(
        actor_id=actor_id, action=action, topic_id=topic_id, post_id=post_id, details=details or {}
    )


# --- visits, stats and trust levels --------------------------------------------------------------


def record_visit(*, user: User) -> bool:
    """Once a day per member; returns True when this is the day's first visit."""
    try:
        with transaction.atomic():
            DailyVisit.objects.create(user=user, day=timezone.now().date())
    except IntegrityError:
        return False
    return True


def compute_trust_level(stats: MemberStats, rules: CommunitySettings) -> int:
    def meets(level: int) -> bool:
        keys = [k for k in vars(rules) if k.startswith(f"tl{level}_")]
        return all(getattr(stats, k[4:]) >= getattr(rules, k) for k in keys)

    level = 0
    for candidate in (1, 2, 3):
        if meets(candidate):
            level = candidate
        else:
            break
    return level


@transaction.atomic
def refresh_stats(*, user_id: int) -> MemberStats:
    stats, _created = MemberStats.objects.select_for_update().get_or_create(user_id=user_id)
    read = TopicUser.objects.filter(user_id=user_id)
    stats.topics_entered = read.count()
    stats.posts_read = read.aggregate(total=Sum("last_read_post_number"))["total"] or 0
    stats.days_visited = DailyVisit.objects.filter(user_id=user_id).count()
    stats.likes_given = Like.objects.filter(user_id=user_id).count()
    stats.likes_received = Like.objects.filter(post__author_id=user_id).count()
    stats.topics_created = Topic.objects.filter(author_id=user_id, is_private=False).count()
    stats.posts_created = Post.objects.filter(
        author_id=user_id, number__gt=1, deleted_at=None, topic__is_private=False
    ).count()
    if not stats.trust_level_locked:
        # Promotion only: a quiet month does not take a level away.
        stats.trust_level = max(
            stats.trust_level, compute_trust_level(stats, CommunitySettings.current())
        )
    stats.save()
    return stats


@transaction.atomic
def set_trust_level(*, actor: User, member: User, level: int) -> MemberStats:
    if not permissions.can_moderate(actor):
        raise PermissionDenied(_("Only staff can change trust levels."))
    if level not in range(5):
        raise ValidationError(_("Trust levels go from 0 to 4."))
    stats, _created = MemberStats.objects.get_or_create(user=member)
    stats.trust_level = level
    stats.trust_level_locked = True
    stats.save(update_fields=["trust_level", "trust_level_locked"])
    log_action(actor=actor, action="trust_level", details={"member": member.pk, "level": level})
    return stats


# --- posting limits ----------------------------------------------------------------------


def check_posting(*, user: User, raw: str, is_topic: bool) -> None:
    """Raise ValidationError saying what is refused and when the member may try again."""
    if permissions.is_staff(user):
        return
    level = trust_level_of(user)
    rules = CommunitySettings.current()
    check_content(user=user, raw=raw, level=level, rules=rules)
    if level > 0:
        return
    now = timezone.now()
    if is_topic:
        window, limit = timedelta(days=1), rules.new_member_topics_per_day
        recent = Topic.objects.filter(author=user, is_private=False, created_at__gte=now - window)
        message = _("New members can start %(n)d topics a day. You can start another in %(wait)s.")
    else:
        window, limit = timedelta(hours=1), rules.new_member_posts_per_hour
        recent = Post.objects.filter(author=user, number__gt=1, created_at__gte=now - window)
        message = _("New members can post %(n)d replies an hour. You can reply again in %(wait)s.")
    times = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) >= limit:
        retry_at = times[-1] + window
        raise ValidationError({"raw": message % {"n": limit, "wait": timeuntil(retry_at, now)}})


class _LinksAndImages(HTMLParser):
    """Counts what a reader sees: links to other sites and images, in the rendered post (so
    `www.` autolinks and reference-style images count like any other); mentions and links
    within the site do not."""

    def __init__(self) -> None:
        super().__init__()
        self.links = self.images = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "img":
            self.images += 1
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip().lower()
            if href.startswith(("http:", "https:", "//")):
                self.links += 1


def links_and_images(raw: str) -> tuple[int, int]:
    from agora.core.markdown import render

    counter = _LinksAndImages()
    counter.feed(render(raw))
    counter.close()
    return counter.links, counter.images


def check_content(
    *, user: User, raw: str, level: int | None = None, rules: CommunitySettings | None = None
) -> None:
    """What a post may contain at the member's trust level: mentions, and for new members
    links and images. Checked on a new post, a private message and on every edit. `level` and
    `rules`: when the caller has read them already."""
    from agora.core.markdown import extract_mentions

    if permissions.is_staff(user):
        return
    rules = rules or CommunitySettings.current()
    if level is None:
        level = trust_level_of(user)
    mentions = len(extract_mentions(raw))
    max_mentions = rules.new_member_max_mentions if level == 0 else rules.max_mentions_per_post
    if mentions > max_mentions:
        raise ValidationError(
            {"raw": _("You can mention at most %(n)d members in one post.") % {"n": max_mentions}}
        )
    if level > 0:
        return
    links, images = links_and_images(raw)
    if links > rules.new_member_max_links:
        raise ValidationError(
            {
                "raw": _("New members can post at most %(n)d links in a post.")
                % {"n": rules.new_member_max_links}
            }
        )
    if images > rules.new_member_max_images:
        raise ValidationError(
            {
                "raw": _("New members can post at most %(n)d images in a post.")
                % {"n": rules.new_member_max_images}
            }
        )


def check_private_message(*, user: User, raw: str, recipients: int) -> None:
    """A private message may reach a few members and a member may start a few a day (each
    recipient gets an email); its text has the limits of a post."""
    if permissions.is_staff(user):
        return
    level = trust_level_of(user)
    check_content(user=user, raw=raw, level=level)
    kind = "new" if level == 0 else "member"
    most = PM_MAX_RECIPIENTS[kind]
    if recipients > most:
        raise ValidationError(
            {"recipients": _("You can write to at most %(n)d members at once.") % {"n": most}}
        )
    now = timezone.now()
    window, limit = timedelta(days=1), PM_PER_DAY[kind]
    recent = Topic.objects.filter(author=user, is_private=True, created_at__gte=now - window)
    times = list(recent.order_by("-created_at").values_list("created_at", flat=True)[:limit])
    if len(times) >= limit:
        wait = timeuntil(times[-1] + window, now)
        raise ValidationError(
            {
                "raw": _(
                    "You can start %(n)d private conversations a day. You can start another "
                    "in %(wait)s."
                )
                % {"n": limit, "wait": wait}
            }
        )
