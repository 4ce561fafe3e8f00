"""A record of each ingest run: what it did, where it stopped, what went wrong."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

MAX_STORED_ERRORS = 1000


class IngestRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        INTERRUPTED = "interrupted", "interrupted"

    source = models.CharField(max_length=32, db_index=True)
    key = models.CharField(
        max_length=255, blank=True, help_text="What was ingested, to resume the same work."
    )
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    checkpoint = models.JSONField(
        default=dict, blank=True, help_text="Where to go on from, saved with each batch."
    )
    seen = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    older = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text=f"The first {MAX_STORED_ERRORS} records rejected."
    )
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ("-started_at", "-id")
        indexes = [models.Index(fields=["source", "-started_at"], name="ingest_source_started")]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    def add_errors(self, errors: list[dict[str, Any]]) -> None:
        room = MAX_STORED_ERRORS - len(self.errors)
        if room > 0:
            self.errors = [*self.errors, *errors[:room]]
        self.rejected += len(errors)

    def finish(self, status: str, error: str = "") -> None:
        self.status = status
        self.finished_at = timezone.now()
        if error:
            self.last_error = error[:10_000]
        self.save()

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seen": self.seen,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "older": self.older,
            "rejected": self.rejected,
            "last_error": self.last_error,
        }


class Announcement(models.Model):
    """How a paper was announced in a daily feed of the configured categories, and when."""

    class Type(models.TextChoices):
        NEW = "new", "new"
        CROSS = "cross", "cross-list"
        REPLACE = "replace", "replacement"
        REPLACE_CROSS = "replace-cross", "replacement of a cross-list"

    paper = models.ForeignKey(
        "catalog.Paper", on_delete=models.CASCADE, related_name="announcements"
    )
    day = models.DateField(help_text="The announcement day (US Eastern).")
    announce_type = models.CharField(max_length=16, choices=Type.choices)
    version = models.PositiveIntegerField(null=True, blank=True)
    feed = models.CharField(max_length=200, blank=True, help_text="The categories asked for.")

    class Meta:
        ordering = ("-day", "paper")
        constraints = [
            models.UniqueConstraint(fields=["paper", "day"], name="announcement_paper_day")
        ]
        indexes = [models.Index(fields=["day", "announce_type"], name="announcement_day_type")]

    def __str__(self) -> str:
        return f"{self.paper_id} {self.announce_type} on {self.day}"


class ScheduledJob(models.Model):
    """When a periodic job is next due; schedulers claim it with a conditional UPDATE, so
    several of them never enqueue the same run twice. The job records how its last run
    ended, whichever job backend ran it (shown by `dailypapers status` and the admin)."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"

    name = models.CharField(max_length=64, primary_key=True)
    next_run_at = models.DateTimeField(default=timezone.now)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name} next at {self.next_run_at:%Y-%m-%d %H:%M}"
