"""The normalised paper record that every source produces and the upsert consumes.

A field left as ``None`` means "this source does not know": the upsert leaves the stored value
as it is. An empty string or list means "known to be empty".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .ids import InvalidArxivId, parse_arxiv_id
from .links import find_links
from .text import clean_abstract, clean_line, clean_name

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000  # arXiv allows 1,920 characters; leave room for old and odd records
MAX_AUTHORS = 10_000
MAX_AUTHOR_NAME = 255
MAX_SHORT = 1_000  # journal ref, DOI, report number, licence
MAX_COMMENTS = 5_000
MAX_STARS = 100_000_000


class InvalidRecord(ValueError):
    """A record the catalogue cannot take; the message says why."""


@dataclass(slots=True)
class PaperRecord:
    arxiv_id: str
    version: int | None = None
    title: str | None = None
    abstract: str | None = None
    authors: list[str] | None = None
    primary_category: str | None = None
    categories: list[str] | None = None
    """Every category, the primary one first."""
    submitted: datetime | None = None
    """When version 1 was submitted."""
    updated: datetime | None = None
    """When the latest version was submitted (or the record last changed at arXiv)."""
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    report_no: str | None = None
    license: str | None = None
    repo_url: str | None = None
    """A repository a source states explicitly (links in the text are found anyway)."""
    project_page: str | None = None
    github_stars: int | None = None
    """The stars of ``repo_url`` on GitHub, where the source counts them (Hugging Face)."""
    extra: dict[str, object] = field(default_factory=dict)
    authoritative: bool = True
    """Whether the source is the authority for the paper's bibliographic fields (arXiv's own
    sources are). Another source (Hugging Face's list) only fills what a paper lacks, beside
    what it alone knows: a repository and a project page. See ``catalog.upsert``."""
    found_links: tuple[list[str], str] | None = None
    """Code links and a project page found in the abstract and comments (set by
    ``normalized()``, so that the work can happen wherever records are prepared)."""
    is_normal: bool = False
    """Set on what ``normalized()`` returns: normalising it again is free."""

    def normalized(self) -> PaperRecord:
        """A cleaned copy; raises InvalidRecord for a record that cannot be stored."""
        if self.is_normal:
            return self
        try:
            parsed = parse_arxiv_id(self.arxiv_id)
        except InvalidArxivId as exc:
            raise InvalidRecord(str(exc)) from None
        version = self.version if self.version is not None else parsed.version
        if version is not None and not 1 <= version <= 10_000:
            raise InvalidRecord(f"{parsed.id}: version {version} is out of range")

        title = None if self.title is None else clean_line(self.title)
        if title is not None and not title:
            raise InvalidRecord(f"{parsed.id}: the title is empty")
        if title is not None and len(title) > MAX_TITLE:
            raise InvalidRecord(
                f"{parsed.id}: the title is {len(title):,} characters long (at most {MAX_TITLE:,})"
            )
        abstract = None if self.abstract is None else clean_abstract(self.abstract)
        if abstract is not None and len(abstract) > MAX_ABSTRACT:
            raise InvalidRecord(
                f"{parsed.id}: the abstract is {len(abstract):,} characters long "
                f"(at most {MAX_ABSTRACT:,})"
            )
        authors = None
        if self.authors is not None:
            if len(self.authors) > MAX_AUTHORS:
                raise InvalidRecord(
                    f"{parsed.id}: {len(self.authors):,} authors (at most {MAX_AUTHORS:,})"
                )
            authors = []
            for name in self.authors:
                cleaned = clean_name(name)[:MAX_AUTHOR_NAME]
                if cleaned:
                    authors.append(cleaned)
        categories = None
        if self.categories is not None:
            categories = []
            for raw_code in self.categories:
                code = clean_line(raw_code)
                if code and code not in categories and len(code) <= 32:
                    categories.append(code)
        primary = None if self.primary_category is None else clean_line(self.primary_category)
        if primary and categories is not None and primary not in categories:
            categories.insert(0, primary)
        if primary is None and categories:
            primary = categories[0]

        def short(value: str | None, limit: int = MAX_SHORT) -> str | None:
            return None if value is None else clean_line(value)[:limit]

        comments = short(self.comments, MAX_COMMENTS)

        return PaperRecord(
            arxiv_id=parsed.id,
            version=version,
            title=title,
            abstract=abstract,
            authors=authors,
            primary_category=primary or (None if primary is None else ""),
            categories=categories,
            submitted=self.submitted,
            updated=self.updated,
            comments=comments,
            journal_ref=short(self.journal_ref),
            doi=short(self.doi),
            report_no=short(self.report_no),
            license=short(self.license),
            repo_url=short(self.repo_url, 500),
            project_page=short(self.project_page, 500),
            github_stars=(
                self.github_stars
                if type(self.github_stars) is int and 0 <= self.github_stars <= MAX_STARS
                else None
            ),
            extra=self.extra,
            authoritative=self.authoritative,
            found_links=(
                None if abstract is None and comments is None else find_links(abstract, comments)
            ),
            is_normal=True,
        )
