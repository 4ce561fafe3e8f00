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
