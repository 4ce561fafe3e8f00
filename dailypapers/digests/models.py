"""Email digests: who subscribed and how, what each was sent, and the outbox that sends it.

A digest is composed into the outbox (one row per subscription and issue date, unique in the
schema) holding the rendered message; a sender claims rows atomically and delivers them over
SMTP. See docs/digests.md.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import secrets
import zlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import Q

from dailypapers.catalog.models import Category, Paper


def zone_of(name: str) -> ZoneInfo:
    """The time zone of that name; UTC for a name zoneinfo does not know."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _token() -> str:
    return secrets.token_urlsafe(32)


class Subscription(models.Model):
    """One address's digest: daily or weekly, at the reader's hour in the reader's zone."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "daily"
        WEEKLY = "weekly", "weekly"

    class Weekday(models.IntegerChoices):  # Python's date.weekday()
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    email = models.EmailField(help_text="Lower-cased: one subscription per address.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default="daily")
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="A weekly digest's day."
    )
    hour = models.PositiveSmallIntegerField(default=7, help_text="The reader's local hour, 0-23.")
    time_zone = models.CharField(max_length=64, default="UTC")
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="+",
        help_text="Only papers in these categories (none: every category).",
    )
    personal_picks = models.BooleanField(
        default=True, help_text="A member's picks from their own papers and follows."
    )
    interests = models.JSONField(
        default=dict, blank=True, help_text="Categories, keywords, authors, own votes and saves."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirm_sent_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_reason = models.CharField(
        max_length=200, blank=True, help_text="Why it was paused: the reader, or bounces."
    )
    hard_bounces = models.PositiveSmallIntegerField(
        default=0, help_text="Permanent delivery failures in a row."
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    last_issue_date = models.DateField(
        null=True, blank=True, help_text="The reader's local date of the last issue composed."
    )
    confirm_token = models.CharField(max_length=64, unique=True, default=_token)
    unsubscribe_token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["email"], name="subscription_email")]
        indexes = [
            models.Index(
                fields=["time_zone", "hour", "last_issue_date"],
                name="subscription_due",
                condition=Q(
                    confirmed_at__isnull=False,
                    unsubscribed_at__isnull=True,
                    paused_at__isnull=True,
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.frequency})"

    @property
    def is_active(self) -> bool:
        """Confirmed, neither paused nor unsubscribed: digests are composed for it."""
        confirmed = self.confirmed_at is not None
        return confirmed and self.unsubscribed_at is None and self.paused_at is None

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.time_zone)


class SentPaper(models.Model):
    """A paper a subscription was sent, so that no later issue sends it again. Rows older
    than any paper a digest can pick (``compose.HISTORY_DAYS``) are pruned."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    issue_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "paper"], name="sent_paper_unique")
        ]
        indexes = [models.Index(fields=["issue_date"], name="sent_paper_date")]

    def __str__(self) -> str:
        return f"{self.paper_id} to {self.subscription_id} on {self.issue_date}"


class MailPreference(models.Model):
    """A member's mail settings beyond the digest itself."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preference"
    )
    replies = models.BooleanField(
        default=True, help_text="Mail me when someone replies to my comment or @mentions me."
    )

    def __str__(self) -> str:
        return f"mail preferences of {self.user_id}"


class Notification(models.Model):
    """A reply to a member's comment, or an @mention of them, waiting to be mailed (batched:
    one mail carries every notification since the last)."""

    class Reason(models.TextChoices):
        REPLY = "reply", "replied to your comment"
        MENTION = "mention", "mentioned you"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    comment = models.ForeignKey(
        "community.Comment", on_delete=models.CASCADE, related_name="notifications"
    )
    reason = models.CharField(max_length=8, choices=Reason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "comment"], name="notification_unique")
        ]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_pending",
                condition=Q(mailed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.reason} in {self.comment_id}"


class OutboxMessage(models.Model):
    """A rendered message waiting to be sent, being sent, or sent: the outbox.

    ``message`` holds the whole RFC 5322 message (headers and both parts), zlib-compressed,
    without its ``Date`` header, which the sender adds when it sends (in ``time_zone``).

    States: ``pending`` (due at ``next_attempt_at``) -> ``sending`` (claimed by one sender)
    -> ``delivering`` (the whole message was handed over but for its end-of-data line) ->
    ``sent``; or back to ``pending`` after a transient failure, or ``failed`` after a
    permanent one (or too many transient ones).
    """

    class Kind(models.TextChoices):
        DIGEST = "digest", "digest"
        CONFIRM = "confirm", "confirmation"
        NOTICE = "notice", "reply notification"

    class State(models.TextChoices):
        PENDING = "pending", "pending"
        SENDING = "sending", "sending"
        DELIVERING = "delivering", "delivering"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    key = models.CharField(
        max_length=120, unique=True, help_text="What it is, once: digest:<subscription>:<date>."
    )
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    issue_date = models.DateField(null=True, blank=True)
    to_email = models.EmailField()
    subject = models.CharField(max_length=300)
    message_id = models.CharField(max_length=250, unique=True)
    message = models.BinaryField(help_text="The message, zlib-compressed, without Date.")
    time_zone = models.CharField(max_length=64, default="UTC")
    paper_count = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "issue_date"],
                condition=Q(kind="digest"),
                name="outbox_one_digest_per_issue",
            )
        ]
        # Whole indexes led by the state, not partial ones (WHERE state = 'pending'): SQLite
        # uses a partial index only for a query with the same literal, and the ORM's queries
        # bind the state as a parameter.
        indexes = [
            models.Index(fields=["state", "next_attempt_at", "id"], name="outbox_due"),
            models.Index(fields=["state", "claimed_at"], name="outbox_claimed"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} ({self.state})"

    @staticmethod
    def pack(message: bytes) -> bytes:
        return zlib.compress(message, 1)

    def raw(self) -> bytes:
        """The stored message, without Date."""
        return zlib.decompress(bytes(self.message))

    def wire_bytes(self, now: dt.datetime) -> bytes:
        """The message as it goes on the wire: ``Date`` (now, in the reader's zone) first."""
        date = email.utils.format_datetime(now.astimezone(zone_of(self.time_zone)))
        return f"Date: {date}\r\n".encode() + self.raw()
