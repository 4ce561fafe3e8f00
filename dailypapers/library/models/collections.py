"""Collections of papers: each reader's reading list ("Saved") and named collections."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from dailypapers.catalog.models import Paper

READING_LIST_NAME = "Reading list"


class Collection(models.Model):
    """A named, ordered set of papers. Every reader has one reading list (what "Save" adds
    to), made on first use; other collections are theirs to name. Private unless public."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="collections"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=120, allow_unicode=False)
    description = models.TextField(blank=True, max_length=2000)
    is_public = models.BooleanField(
        "public", default=False, help_text="Anyone with the link sees a public collection."
    )
    is_reading_list = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-is_reading_list", "name", "id")
        constraints = [
            models.UniqueConstraint(fields=["owner", "slug"], name="collection_slug_unique"),
            models.UniqueConstraint(
                fields=["owner"],
                condition=Q(is_reading_list=True),
                name="collection_one_reading_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.owner_id})"


class CollectionItem(models.Model):
    """A paper in a collection, with the reader's note and its place in their order."""

    class Source(models.TextChoices):
        SAVED = "saved", "saved"
        IMPORTED = "imported", "imported"
        API = "api", "added through the API"

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="collection_items")
    note = models.TextField(blank=True, max_length=5000)
    position = models.IntegerField(default=0, help_text="Ascending: the collection's order.")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SAVED)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("collection", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=["collection", "paper"], name="collection_item_unique")
        ]
        indexes = [models.Index(fields=["collection", "position"], name="collection_item_order")]

    def __str__(self) -> str:
        return f"{self.paper_id} in {self.collection_id}"


class ReadMark(models.Model):
    """The reader marked this paper as read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_marks"
    )
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="read_marks")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "paper"], name="read_mark_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.paper_id}"
