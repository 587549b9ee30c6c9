"""Flags and the review queue, the staff action log, and trust levels with posting limits."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Flag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        OFF_TOPIC = "off_topic", _("Off-topic")
        INAPPROPRIATE = "inappropriate", _("Inappropriate")
        OTHER = "other", _("Something else")

    class Resolution(models.TextChoices):
        PENDING = "pending", _("Pending")
        AGREED = "agreed", _("Agreed")
        DISAGREED = "disagreed", _("Disagreed")

    post = models.ForeignKey("forum.Post", on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    message = models.CharField(_("message"), max_length=500, blank=True)
    trust_level = models.PositiveSmallIntegerField(default=0)  # the flagger's, when flagging
    resolution = models.CharField(
        max_length=10, choices=Resolution.choices, default=Resolution.PENDING
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="flag_once_per_post")]
        indexes = [models.Index(fields=["resolution", "-created_at"], name="flag_queue")]


class StaffAction(models.Model):
    """Every staff action, who did it and to what: the moderation log."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)
    topic = models.ForeignKey(
        "forum.Topic", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [  # the keyset of the staff log's pages
            models.Index(fields=["-created_at", "-id"], name="staffaction_created_id")
        ]


class MemberStats(models.Model):
    """Activity counts that decide a member's trust level (Discourse's TL0–TL4)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stats"
    )
    trust_level = models.PositiveSmallIntegerField(default=0)
    trust_level_locked = models.BooleanField(
        default=False, help_text=_("Set by staff: not changed by the automatic promotion.")
    )
    topics_entered = models.PositiveIntegerField(default=0)
    posts_read = models.PositiveIntegerField(default=0)
    days_visited = models.PositiveIntegerField(default=0)
    likes_given = models.PositiveIntegerField(default=0)
    likes_received = models.PositiveIntegerField(default=0)
    topics_created = models.PositiveIntegerField(default=0)
    posts_created = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = _("member stats")


class DailyVisit(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="visit_once_a_day")]


class CommunitySettings(models.Model):
    """One row, edited in the admin: trust-level thresholds and limits for new members."""

    # Trust level 1 (basic)
    tl1_topics_entered = models.PositiveIntegerField(default=5)
    tl1_posts_read = models.PositiveIntegerField(default=30)
    # Trust level 2 (member)
    tl2_days_visited = models.PositiveIntegerField(default=15)
    tl2_topics_entered = models.PositiveIntegerField(default=20)
    tl2_posts_read = models.PositiveIntegerField(default=100)
    tl2_likes_given = models.PositiveIntegerField(default=1)
    tl2_likes_received = models.PositiveIntegerField(default=1)
    tl2_posts_created = models.PositiveIntegerField(default=3)
    # Trust level 3 (regular)
    tl3_days_visited = models.PositiveIntegerField(default=50)
    tl3_topics_entered = models.PositiveIntegerField(default=100)
    tl3_posts_read = models.PositiveIntegerField(default=500)
    tl3_likes_given = models.PositiveIntegerField(default=30)
    tl3_likes_received = models.PositiveIntegerField(default=20)
    tl3_posts_created = models.PositiveIntegerField(default=10)
    # Limits for trust level 0
    new_member_topics_per_day = models.PositiveIntegerField(default=3)
    new_member_posts_per_hour = models.PositiveIntegerField(default=10)
    new_member_max_links = models.PositiveIntegerField(default=2)
    new_member_max_images = models.PositiveIntegerField(default=0)
    max_mentions_per_post = models.PositiveIntegerField(default=10)
    new_member_max_mentions = models.PositiveIntegerField(default=2)
    # Flags
    flags_to_hide = models.PositiveIntegerField(
        default=3, help_text=_("Flags from members of trust level 1 or more that hide a post.")
    )

    class Meta:
        verbose_name = verbose_name_plural = _("community settings")

    @classmethod
    def current(cls) -> CommunitySettings:
        return cls.objects.get_or_create(pk=1)[0]
