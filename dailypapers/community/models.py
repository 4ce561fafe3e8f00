"""The community around the catalogue: papers featured on a day, and by whom."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dailypapers.catalog.models import Paper


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

    class Meta:
        verbose_name_plural = "daily entries"
        ordering = ("-day", "-submitted_at")

    def __str__(self) -> str:
        return f"{self.paper_id} on {self.day}"
