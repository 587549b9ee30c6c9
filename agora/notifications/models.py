"""What a member is told about: replies, mentions, quotes, likes, watched topics, messages, and
their challenge entries, the challenges they follow and the contests they entered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Reply")
        MENTION = "mention", _("Mention")
        QUOTE = "quote", _("Quote")
        LIKE = "like", _("Like")
        WATCHING = "watching", _("New post in a watched topic")
        PRIVATE_MESSAGE = "private_message", _("Private message")
        FOLLOWED = "followed", _("New from a member you follow")
        # About a challenge or a contest (no topic): agora/challenges/notices.py writes them.
        ENTRY_SCORED = "entry_scored", _("Your challenge entry was scored")
        ENTRY_REFUSED = "entry_refused", _("Your challenge entry was refused")
        CHALLENGE_CLOSING = "challenge_closing", _("A challenge you follow closes tomorrow")
        CHALLENGE_WON = "challenge_won", _("You placed in a challenge")
        CONTEST_VOTING = "contest_voting", _("Voting opened in a contest you entered")
        CONTEST_RESULTS = "contest_results", _("The results of a contest you entered")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # What it is about: a topic (and post); a followed member's new work or model; or, for a
    # challenge or contest notice, its challenge (and entry) or contest.
    topic = models.ForeignKey(
        "forum.Topic", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    work = models.ForeignKey(
        "gallery.Work", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    lab_model = models.ForeignKey(
        "lab.LabModel", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    post = models.ForeignKey(
        "forum.Post", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    challenge = models.ForeignKey(
        "challenges.Challenge", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    submission = models.ForeignKey(
        "challenges.Submission", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    contest = models.ForeignKey(
        "challenges.Contest", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            # Tasks may run twice: the second run finds the row and creates nothing.
            models.UniqueConstraint(fields=["user", "kind", "post"], name="notification_once"),
            models.UniqueConstraint(
                fields=["user", "kind", "work"], name="notification_once_per_work"
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "lab_model"], name="notification_once_per_model"
            ),
            # Beat tasks and the worker may run twice: one notice per entry, challenge, contest.
            models.UniqueConstraint(
                fields=["user", "kind", "submission"],
                condition=models.Q(submission__isnull=False),
                name="notification_entry_once",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "challenge"],
                condition=models.Q(challenge__isnull=False, submission__isnull=True),
                name="notification_challenge_once",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "contest"],
                condition=models.Q(contest__isnull=False),
                name="notification_contest_once",
            ),
            # Each kind is about its own kind of thing, and about exactly one thing.
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["reply", "mention", "quote", "like", "watching", "private_message"],
                    topic__isnull=False,
                    work=None,
                    lab_model=None,
                    challenge=None,
                    contest=None,
                )
                | models.Q(
                    kind="followed",
                    challenge=None,
                    submission=None,
                    contest=None,
                )
                & (
                    models.Q(topic__isnull=False, work=None, lab_model=None)
                    | models.Q(topic=None, work__isnull=False, lab_model=None)
                    | models.Q(topic=None, work=None, lab_model__isnull=False)
                )
                | models.Q(
                    kind__in=[
                        "entry_scored",
                        "entry_refused",
                        "challenge_closing",
                        "challenge_won",
                    ],
                    challenge__isnull=False,
                    topic=None,
                    work=None,
                    lab_model=None,
                    contest=None,
                )
                | models.Q(
                    kind__in=["contest_voting", "contest_results"],
                    contest__isnull=False,
                    topic=None,
                    work=None,
                    lab_model=None,
                    challenge=None,
                ),
                name="notification_kind_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "read_at", "-created_at"], name="notification_inbox"),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_list"),
        ]

    def __str__(self) -> str:
        about = (
            self.post_id
            or self.topic_id
            or self.work_id
            or self.lab_model_id
            or self.challenge_id
            or self.contest_id
        )
        return f"{self.kind} → {self.user_id} ({about})"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def target_url(self) -> str:
        if self.work_id is not None:
            return self.work.get_absolute_url()
        if self.lab_model_id is not None:
            return self.lab_model.get_absolute_url()
        if self.post is not None:
            return self.post.get_absolute_url()
        if self.topic is not None:
            return self.topic.get_absolute_url()
        if self.challenge is not None:
            return self.challenge.get_absolute_url()
        return self.contest.get_absolute_url()

    @property
    def title(self) -> str:
        """What it is about: the work's, model's, topic's, challenge's or contest's title."""
        if self.work_id is not None:
            return self.work.title
        if self.lab_model_id is not None:
            return self.lab_model.name
        if self.topic_id is not None:
            return self.topic.title
        if self.challenge_id is not None:
            return self.challenge.localized_title
        return self.contest.title


class NotificationSettings(models.Model):
    """Which notifications a member also wants by email; no row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_on_mention = models.BooleanField(_("email me when someone mentions me"), default=True)
    email_on_reply = models.BooleanField(_("email me when someone replies to me"), default=True)
    email_on_private_message = models.BooleanField(
        _("email me when I get a private message"), default=True
    )
    email_on_events = models.BooleanField(
        _("email me about events I signed up for (a seat opened up, reminders)"), default=True
    )
    email_on_challenges = models.BooleanField(
        _("email me about my challenge entries, challenges I follow and contests I entered"),
        default=True,
    )
    # Like Civitai (and Discourse's follow plugin), following someone means hearing about their
    # new works, models and topics unless the member turns it off; in the bell, never by email.
    notify_on_followed = models.BooleanField(
        _("tell me when a member I follow shares a new work, model or topic"), default=True
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"notification settings of {self.user_id}"

    def wants_email(self, kind: str) -> bool:
        return {
            Notification.Kind.MENTION: self.email_on_mention,
            Notification.Kind.REPLY: self.email_on_reply,
            Notification.Kind.PRIVATE_MESSAGE: self.email_on_private_message,
        }.get(kind, False)
