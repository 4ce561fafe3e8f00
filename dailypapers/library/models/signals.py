"""What a reader follows, what they told us of a pick, and when they last looked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dailypapers.catalog.models import Author, Category, Paper


class Follow(models.Model):
    """An author, a category, or a saved search (the search page's query string: words and
    filters) that the reader follows as a stream."""

    class Kind(models.TextChoices):
        AUTHOR = "author", "author"
        CATEGORY = "category", "category"
        SEARCH = "search", "saved search"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    author = models.ForeignKey(
        Author, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="followers"
    )
    query = models.CharField(
        max_length=1000, blank=True, help_text="A saved search: the search page's query string."
    )
    label = models.CharField(max_length=200, blank=True, help_text="A saved search's name.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("kind", "created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "author"], condition=Q(kind="author"), name="follow_author_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "category"],
                condition=Q(kind="category"),
                name="follow_category_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "query"], condition=Q(kind="search"), name="follow_search_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="author", author__isnull=False, category__isnull=True, query="")
                    | Q(kind="category", category__isnull=False, author__isnull=True, query="")
                    | Q(kind="search", author__isnull=True, category__isnull=True) & ~Q(query="")
                ),
                name="follow_kind_matches",
            ),
        ]

    def __str__(self) -> str:
        target = self.author_id or self.category_id or self.query
        return f"{self.user_id} follows {self.kind} {target}"


class Feedback(models.Model):
    """The reader's word on a paper they were shown: more like it, or not interested (which
    also means: never show it again)."""

    class Value(models.TextChoices):
        MORE = "more", "more like this"
        LESS = "less", "not interested"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feedback"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="feedback")
    value = models.CharField(max_length=8, choices=Value.choices)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="feedback_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.value} {self.paper_id}"


class ReaderState(models.Model):
    """When the reader last opened "For you" (its "since your last visit" window), what
    they chose to hide from lists and search, and the digest of their private feed's secret
    (none until they ask for the feed; a new secret replaces the old one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reader_state"
    )
    for_you_seen_at = models.DateTimeField(null=True, blank=True)
    for_you_previous_at = models.DateTimeField(
        null=True, blank=True, help_text="The visit before the last: where 'since' starts."
    )
    hide_read = models.BooleanField(
        default=False, help_text="Lists and search leave out read papers."
    )
    hide_saved = models.BooleanField(
        default=False, help_text="Lists and search leave out papers in the reader's collections."
    )
    feed_digest = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="SHA-256 of the secret in the reader's private For you feed address.",
    )

    def __str__(self) -> str:
        return f"reader state of {self.user_id}"
