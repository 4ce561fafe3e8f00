"""The community around the catalogue: papers featured on a day, votes, comments, moderation."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from dailypapers.catalog.models import Paper

HOT_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z
HOT_HALF_LIFE = 86_400  # seconds: a vote counts half as much a day after it was cast


def _hot_term(at: datetime) -> float:
    """A moment as half-lives since the epoch: the log2 of its weight."""
    return (at.timestamp() - HOT_EPOCH) / HOT_HALF_LIFE


def trending_score(featured_at: datetime, vote_times: Iterable[datetime]) -> float:
    """The trending score: ``log2(2**f + sum(2**v))`` where ``f`` and each ``v`` are the
    featuring time and each vote's time, in half-lives (one day) since 2025-01-01.

    Read as of now, that is the log of a sum in which each vote weighs ``2**-(its age in
    days)`` and the featuring counts as one vote: the sum every paper is ranked by decays by
    each vote's own age, and since all papers' sums decay by the same factor, the order is
    the same at every moment. So the stored score only changes when a vote does (see
    docs/community.md). Computed the same way from the same votes whatever their order, so
    a score recomputed (after an import) equals the stored one to the last digit."""
    terms = sorted([_hot_term(featured_at), *(_hot_term(at) for at in vote_times)])
    top = terms[-1]
    return round(top + math.log2(math.fsum(2 ** (t - top) for t in terms)), 7)


def hot_score(upvotes: int, featured_at: datetime) -> float:
    """The score of a paper whose ``upvotes`` all came as it was featured (a new entry has
    none): ``log2(1 + upvotes)`` plus the featuring time in days since 2025-01-01."""
    return round(math.log2(1 + upvotes) + _hot_term(featured_at), 7)


class DailyEntryQuerySet(models.QuerySet["DailyEntry"]):
    def visible(self) -> DailyEntryQuerySet:
        return self.filter(hidden=False)

    def for_list(self) -> DailyEntryQuerySet:
        """What a list shows, in one query: the paper (without its heavy fields) and the
        submitter."""
        return self.select_related("paper", "submitted_by").defer(
            "paper__comments",
            "paper__journal_ref",
            "paper__report_no",
            "paper__license",
            "paper__doi",
        )

    def on_day(self, day: date) -> DailyEntryQuerySet:
        return self.visible().filter(day=day).order_by("-upvotes", "-submitted_at", "-id")

    def between(self, first: date, last: date) -> DailyEntryQuerySet:
        return (
            self.visible()
            .filter(day__gte=first, day__lte=last)
            .order_by("-upvotes", "-submitted_at", "-id")
        )

    def trending(self) -> DailyEntryQuerySet:
        return self.visible().order_by("-hot", "-id")


class DailyEntry(models.Model):
    """A paper featured on the daily feed of one day (HF's ``submittedOnDailyAt``)."""

    class Source(models.TextChoices):
        MEMBER = "member", "a member"
        OPERATOR = "operator", "an operator"
        HUGGINGFACE = "huggingface", "Hugging Face's daily list"

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="daily_entry")
    day = models.DateField(db_index=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="daily_entries",
    )
    submitted_by_name = models.CharField(
        max_length=150, blank=True, help_text="Who featured it elsewhere (an HF user name)."
    )
    submitted_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MEMBER)
    upvotes = models.PositiveIntegerField(default=0)
    hot = models.FloatField(default=0.0, help_text="Trending score (see trending_score).")
    comment_count = models.PositiveIntegerField(default=0, help_text="Visible comments.")
    hidden = models.BooleanField(default=False, help_text="Unfeatured by a moderator.")

    objects: ClassVar[DailyEntryQuerySet] = DailyEntryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name_plural = "daily entries"
        ordering = ("-day", "-submitted_at")
        indexes = [
            models.Index(
                "day", models.F("upvotes").desc(), name="entry_day_votes", condition=Q(hidden=False)
            ),
            models.Index(models.F("hot").desc(), name="entry_hot", condition=Q(hidden=False)),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} on {self.day}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.hot and self.submitted_at is not None:
            self.hot = hot_score(self.upvotes, self.submitted_at)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def listed_votes(self) -> int:
        """The votes the paper counts for in search: none once a moderator unfeatured it."""
        return 0 if self.hidden else self.upvotes

    @property
    def submitter_name(self) -> str:
        if self.submitted_by is not None:
            return self.submitted_by.get_username()
        return self.submitted_by_name

    @property
    def huggingface_url(self) -> str:
        """The paper's page on Hugging Face when HF's daily list featured it, else ""."""
        if self.source != self.Source.HUGGINGFACE:
            return ""
        return f"{settings.HF_URL}/papers/{self.paper.arxiv_id}"


class Vote(models.Model):
    """One upvote by one user on one paper."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="one_vote_per_user")]
        indexes = [models.Index(fields=["user", "-created_at"], name="vote_user_recent")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.paper_id}"


class CommentQuerySet(models.QuerySet["Comment"]):
    def shown(self) -> CommentQuerySet:
        """Comments readers see: neither hidden by a moderator nor deleted by their author."""
        return self.filter(hidden=False, deleted_at__isnull=True)


class Comment(models.Model):
    """A comment on a paper, or a reply to one. Its text is kept whatever happens to it."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="discussion")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    body = models.TextField(help_text="Markdown, as written.")
    body_html = models.TextField(help_text="Rendered and sanitised.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="Deleted by its author (the text is kept)."
    )
    hidden = models.BooleanField(default=False, help_text="Hidden by a moderator.")

    objects: ClassVar[CommentQuerySet] = CommentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("created_at", "id")
        indexes = [
            models.Index(fields=["paper", "created_at"], name="comment_paper"),
            models.Index(fields=["author", "-created_at"], name="comment_author"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.paper_id}"

    @property
    def shown(self) -> bool:
        return not self.hidden and self.deleted_at is None


class CommentRevision(models.Model):
    """An earlier version of an edited comment: what it said until its author changed it.

    Each edit keeps the text it replaces, so nothing a user wrote is lost; the comment itself
    always holds the latest version."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField(help_text="1 for the text first posted, then 2, ...")
    body = models.TextField(help_text="Markdown, as written.")
    body_html = models.TextField(help_text="Rendered and sanitised.")
    written_at = models.DateTimeField(help_text="When this version was posted or saved.")
    replaced_at = models.DateTimeField(help_text="When its author replaced it.")

    class Meta:
        ordering = ("comment", "number")
        constraints = [
            models.UniqueConstraint(fields=["comment", "number"], name="one_revision_number"),
            models.CheckConstraint(
                condition=Q(replaced_at__gte=models.F("written_at")),
                name="revision_replaced_after_written",
            ),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of comment {self.comment_id}"


class ModerationAction(models.Model):
    """The audit trail: every moderation step, who took it, when and why."""

    class Kind(models.TextChoices):
        HIDE_COMMENT = "hide_comment", "hid a comment"
        SHOW_COMMENT = "show_comment", "showed a comment again"
        UNFEATURE = "unfeature", "unfeatured a paper"
        REFEATURE = "refeature", "featured a paper again"
        SUSPEND = "suspend", "suspended a user"
        UNSUSPEND = "unsuspend", "lifted a suspension"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL)
    entry = models.ForeignKey(DailyEntry, null=True, blank=True, on_delete=models.SET_NULL)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="moderation_received",
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        permissions = [("moderate", "Can moderate: hide comments, unfeature, suspend")]

    def __str__(self) -> str:
        return f"{self.moderator} {self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"


class PaperLinks(models.Model):
    """A paper's code repository and project page as its submitter or a moderator set them,
    with who did and when. They stand before the links the sources found."""

    paper = models.OneToOneField(Paper, on_delete=models.CASCADE, related_name="set_links")
    code_url = models.CharField("code repository", max_length=500, blank=True)
    project_url = models.CharField("project page", max_length=500, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "paper links"

    def __str__(self) -> str:
        return f"links of {self.paper_id}"
