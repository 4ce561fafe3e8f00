"""The paper catalogue: papers keyed by arXiv id, their authors and categories."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.text import slugify


class Category(models.Model):
    """An arXiv category such as ``cs.CL`` (taxonomy names are filled in as we learn them)."""

    code = models.CharField(max_length=32, primary_key=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code

    @property
    def group(self) -> str:
        return self.code.split(".", 1)[0]


class Author(models.Model):
    """One name as it appears on papers: shared by all the papers that carry it.

    Profiles and claims (a user saying "this is me") hang off this record later.
    """

    name = models.CharField(max_length=255, unique=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name

    @property
    def slug(self) -> str:
        """The name for an address: accents folded to ASCII (``Müller`` → ``muller``); a
        name with no Latin letters keeps its own (``张伟``); may be empty."""
        return slugify(self.name) or slugify(self.name, allow_unicode=True)


class PaperQuerySet(models.QuerySet["Paper"]):
    def needing_index(self) -> PaperQuerySet:
        return self.filter(needs_index=True)

    def in_category(self, code: str) -> PaperQuerySet:
        return self.filter(category_links__category_id=code)

    def recent(self) -> PaperQuerySet:
        return self.order_by("-submitted", "-id")


class Paper(models.Model):
    arxiv_id = models.CharField("arXiv id", max_length=64, unique=True)
    version = models.PositiveIntegerField(default=1, help_text="The latest version known.")
    title = models.TextField()
    abstract = models.TextField(blank=True)
    author_names = models.JSONField(
        default=list, blank=True, help_text="Authors in order, as shown on lists."
    )
    authors: models.ManyToManyField[Author, PaperAuthor] = models.ManyToManyField(
        Author, through="PaperAuthor", related_name="papers"
    )
    primary_category = models.CharField(max_length=32, blank=True, db_index=True)
    categories = models.JSONField(
        default=list, blank=True, help_text="Every category, the primary one first."
    )
    submitted = models.DateTimeField(null=True, blank=True, help_text="Version 1 submitted.")
    updated = models.DateTimeField(null=True, blank=True, help_text="The latest version submitted.")
    comments = models.TextField(blank=True)
    journal_ref = models.TextField("journal reference", blank=True)
    doi = models.TextField("DOI", blank=True)
    report_no = models.TextField("report number", blank=True)
    license = models.TextField(blank=True)
    code_links = models.JSONField(
        default=list, blank=True, help_text="Repositories found in the abstract or comments."
    )
    repo_url = models.CharField(
        "repository", max_length=500, blank=True, help_text="A repository a source states."
    )
    project_page = models.CharField(max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(
        "GitHub stars",
        null=True,
        blank=True,
        help_text="The stars of the stated repository on GitHub, as a source last gave them.",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True, help_text="Last change in the catalogue.")
    last_source = models.CharField(max_length=32, blank=True)
    needs_index = models.BooleanField(
        default=True, help_text="Changed since the search index last took it."
    )

    objects: ClassVar[PaperQuerySet] = PaperQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ("-submitted", "-id")
        indexes = [
            models.Index(fields=["submitted"], name="paper_submitted"),
            models.Index(fields=["id"], condition=Q(needs_index=True), name="paper_needs_index"),
        ]

    def __str__(self) -> str:
        return f"{self.arxiv_id}: {self.title[:80]}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"

    @property
    def code_url(self) -> str:
        return self.repo_url or (self.code_links[0] if self.code_links else "")

    @property
    def has_code(self) -> bool:
        return bool(self.code_url)


class PaperAuthor(models.Model):
    # No index of its own: the unique (paper, position) constraint serves lookups by paper.
    paper = models.ForeignKey(
        Paper, on_delete=models.CASCADE, related_name="author_links", db_index=False
    )
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="paper_links")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ("paper", "position")
        constraints = [
            models.UniqueConstraint(fields=["paper", "position"], name="paper_author_position")
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} #{self.position}: {self.author_id}"


class PaperCategory(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="category_links")
    # No index of its own: the unique (category, paper) constraint serves lookups by category.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="paper_links", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "paper"], name="paper_category_unique")
        ]
        verbose_name_plural = "paper categories"

    def __str__(self) -> str:
        return f"{self.paper_id} in {self.category_id}"
