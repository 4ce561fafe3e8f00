"""A reader's library brought from elsewhere (BibTeX, RIS, CSL-JSON, a list of ids) into one
of their collections: the import job and its report, entry by entry."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from dailypapers.catalog.models import Paper

from .collections import Collection

STALLED_AFTER = timedelta(minutes=15)
"""A job silent this long has lost its worker (a batch takes seconds; a fetch of 100 papers,
with arXiv's retries, a few minutes at most)."""


class LibraryImport(models.Model):
    """One file (or pasted list) imported into a collection, run as a background job. The
    text is kept until the job has read it, so an interrupted job can run again."""

    class Format(models.TextChoices):
        BIBTEX = "bibtex", "BibTeX (.bib)"
        RIS = "ris", "RIS (.ris)"
        CSL_JSON = "csl-json", "CSL-JSON (Zotero, .json)"
        IDS = "ids", "a list of arXiv ids, arXiv links or DOIs"

    class State(models.TextChoices):
        QUEUED = "queued", "waiting to start"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_imports"
    )
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="imports")
    format = models.CharField(max_length=16, choices=Format.choices)
    filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True, help_text="What was uploaded, until the job has read it.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=100, blank=True, help_text="What the job is doing now.")
    error = models.TextField(blank=True, help_text="Why the file could not be read at all.")
    read = models.BooleanField(default=False, help_text="The entries are in the report.")
    entries_total = models.PositiveIntegerField(default=0)
    entries_done = models.PositiveIntegerField(default=0)
    to_fetch = models.PositiveIntegerField(default=0, help_text="Papers asked of arXiv.")
    fetched = models.PositiveIntegerField(default=0, help_text="Of those, answered so far.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    touched_at = models.DateTimeField(
        null=True, blank=True, help_text="The job's last sign of life (each batch)."
    )

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["owner", "-created_at"], name="library_import_owner")]

    def __str__(self) -> str:
        return f"import {self.pk} into {self.collection_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def stalled(self) -> bool:
        """Waiting or running, with no sign of life for a while: its worker went away."""
        if self.finished:
            return False
        last = self.touched_at or self.created_at
        return last is not None and timezone.now() - last > STALLED_AFTER

    @property
    def resumable(self) -> bool:
        """Whether running it again can go on (it stopped, or stalled, with its text read or
        still kept)."""
        stopped = self.state == self.State.FAILED or self.stalled
        return stopped and (self.read or bool(self.text))


class ImportEntry(models.Model):
    """One entry of an imported file: what was recognised in it, and what became of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "not looked at yet"
        FETCH = "fetch", "being fetched from arXiv"
        ADDED = "added", "added"
        ALREADY = "already", "already in the collection"
        NOT_FOUND = "not-found", "not found"
        UNREADABLE = "unreadable", "could not be read"

    class MatchedBy(models.TextChoices):
        NONE = "", "not matched"
        ARXIV = "arxiv", "arXiv id"
        DOI = "doi", "DOI"
        TITLE = "title", "title"

    job = models.ForeignKey(LibraryImport, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField(help_text="Its place in the file, from 1.")
    line = models.PositiveIntegerField(null=True, blank=True, help_text="Where it starts.")
    key = models.CharField(max_length=255, blank=True, help_text="The citation key, if any.")
    title = models.CharField(max_length=1000, blank=True)
    arxiv_id = models.CharField("arXiv id", max_length=64, blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    title_key = models.CharField(max_length=1000, blank=True, help_text="The title, folded.")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    matched_by = models.CharField(max_length=8, choices=MatchedBy.choices, blank=True)
    fetched = models.BooleanField(default=False, help_text="The paper came from arXiv for this.")
    paper = models.ForeignKey(
        Paper, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was not found.")

    class Meta:
        ordering = ("job", "position")
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="import_entry_position")
        ]
        indexes = [models.Index(fields=["job", "outcome"], name="import_entry_outcome")]

    def __str__(self) -> str:
        return f"entry {self.position} of import {self.job_id}: {self.outcome}"
