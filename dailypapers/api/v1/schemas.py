"""What the ``/api/v1`` reads answer: papers, featured entries, comments, people, collections."""

from __future__ import annotations

from datetime import date, datetime

from ninja import Schema

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry


class PaperOut(Schema):
    """A paper of the catalogue, keyed by its arXiv id (without version)."""

    id: str
    version: int
    title: str
    abstract: str
    authors: list[str]
    primary_category: str
    categories: list[str]
    submitted: datetime | None
    updated: datetime | None
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    code_url: str | None
    project_page: str | None
    abs_url: str
    pdf_url: str
    upvotes: int


class FeaturedOut(Schema):
    """A paper as featured on a day's list."""

    day: date
    submitted_at: datetime
    submitted_by: str | None
    upvotes: int
    comment_count: int


class EntryOut(Schema):
    paper: PaperOut
    featured: FeaturedOut


class EntryPage(Schema):
    items: list[EntryOut]
    next: str | None


class PaperPage(Schema):
    items: list[PaperOut]
    next: str | None


class PaperDetail(PaperOut):
    featured: FeaturedOut | None


def featured_out(entry: DailyEntry) -> FeaturedOut:
    return FeaturedOut(
        day=entry.day,
        submitted_at=entry.submitted_at,
        submitted_by=entry.submitter_name or None,
        upvotes=entry.upvotes,
        comment_count=entry.comment_count,
    )


def paper_out(paper: Paper, upvotes: int | None = None, *, full: bool = False) -> PaperOut:
    """``full``: with the heavy fields lists leave out (comments, journal reference, DOI)."""
    if upvotes is None:
        upvotes = int(getattr(paper, "upvotes", 0) or 0)
    heavy = (
        {
            "comments": paper.comments or None,
            "journal_ref": paper.journal_ref or None,
            "doi": paper.doi or None,
        }
        if full
        else {}
    )
    return PaperOut(
        id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.author_names or ()),
        primary_category=paper.primary_category,
        categories=list(paper.categories or ()),
        submitted=paper.submitted,
        updated=paper.updated,
        code_url=paper.code_url or None,
        project_page=paper.project_page or None,
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        upvotes=upvotes,
        **heavy,
    )


def entry_out(entry: DailyEntry) -> EntryOut:
    return EntryOut(paper=paper_out(entry.paper, entry.listed_votes), featured=featured_out(entry))
