"""Catalogue pages beyond the featured lists: an author's papers, a category's newest
papers, and the cards both show (featured papers with their vote button, others without).

Each page costs a fixed number of queries, whatever the number of cards: the papers of the
page, the featured entries among them, the reader's votes on those, and for an author one
aggregate query each for co-authors and categories (read through the ``PaperAuthor``
indexes: by author, its foreign key's; by paper, the unique (paper, position) one)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from dailypapers.catalog.models import Author, Category, Paper, PaperAuthor, PaperCategory
from dailypapers.library import follows

from .models import DailyEntry
from .pagecache import for_visitors
from .votes import voted_paper_ids

PER_PAGE = 50
MAX_PAGE = 200  # 10,000 papers deep; the count stops there too ("10,000+ papers")
COUNT_CAP = PER_PAGE * MAX_PAGE
CO_AUTHORS = 20
CATEGORIES = 12
RECENT = 1000  # co-authors and categories are counted over an author's latest papers
MAX_ID = 2**63 - 1
AUTHOR_REF = re.compile(r"(\d{1,19})(?:-(.*))?", re.DOTALL)
CATEGORY_CODE = re.compile(r"[a-z][a-z-]*(\.[A-Za-z-]+)?")

HEAVY = ("comments", "journal_ref", "report_no", "license", "doi")


@dataclass
class Card:
    paper: Paper
    entry: DailyEntry | None  # featured and not hidden: the card has a vote button
    voted: bool


def cards(papers: list[Paper], user: User | AnonymousUser) -> list[Card]:
    """Cards for these papers in two queries at most: their featured entries, and the
    reader's votes on those."""
    entries = {
        e.paper_id: e
        for e in DailyEntry.objects.visible()
        .filter(paper_id__in=[p.pk for p in papers])
        .select_related("submitted_by")
    }
    voted = voted_paper_ids(user, entries)
    made = []
    for paper in papers:
        entry = entries.get(paper.pk)
        if entry is not None:
            entry.paper = paper
        made.append(Card(paper, entry, paper.pk in voted))
    return made


@dataclass
class Page:
    cards: list[Card]
    number: int
    total: int
    total_exact: bool
    has_next: bool

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.has_next else None


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return 1
    return max(1, min(int(text), MAX_PAGE))


def _page(papers: QuerySet[Paper], request: HttpRequest, total: int | None = None) -> Page:
    """One page of papers, newest first; the count (unless given) stops at COUNT_CAP."""
    if total is None:
        total = papers.order_by()[:COUNT_CAP].count()
    last = max(1, min(MAX_PAGE, -(-total // PER_PAGE)))
    number = min(_page_number(request), last)
    start = (number - 1) * PER_PAGE
    shown = list(papers.defer(*HEAVY).order_by("-submitted", "-id")[start : start + PER_PAGE])
    return Page(
        cards=cards(shown, request.user),
        number=number,
        total=total,
        total_exact=total < COUNT_CAP,
        has_next=number < last,
    )


def author_ref(author: Author) -> str:
    return f"{author.pk}-{author.slug}" if author.slug else str(author.pk)


def author_url(author: Author) -> str:
    return reverse("author", args=[author_ref(author)])


def _query_suffix(request: HttpRequest) -> str:
    page = _page_number(request)
    return f"?page={page}" if page > 1 else ""


def author_of_ref(ref: str) -> Author:
    """The author an address names by its id (``/authors/<id>-<slug>``: the id decides);
    Http404 when there is none."""
    match = AUTHOR_REF.fullmatch(ref)
    if match is None or int(match[1]) > MAX_ID:
        raise Http404("no such author")
    found = Author.objects.filter(pk=int(match[1])).first()
    if found is None:
        raise Http404("no such author")
    return found


def category_of_code(code: str) -> Category:
    if len(code) > 32 or not CATEGORY_CODE.fullmatch(code):
        raise Http404("not a category")
    found = Category.objects.filter(code=code).first()
    if found is None:
        raise Http404("no such category")
    return found


def newest_of_author(author_id: int, limit: int) -> list[Paper]:
    """An author's newest papers (the feed's): their paper ids first, through the author
    index, then the newest among those, as the page reads them."""
    ids = list(
        PaperAuthor.objects.filter(author_id=author_id).values_list("paper_id", flat=True)[
            : COUNT_CAP + 1
        ]
    )
    papers = Paper.objects.filter(pk__in=sorted(set(ids)))
    if len(ids) > COUNT_CAP:
        theirs = PaperAuthor.objects.filter(author_id=author_id).values("paper_id")
        papers = Paper.objects.filter(pk__in=theirs)
    return list(papers.defer(*HEAVY).order_by("-submitted", "-id")[:limit])


def newest_in_category(code: str, limit: int) -> list[Paper]:
    links = PaperCategory.objects.filter(category_id=code)
    papers = Paper.objects.filter(pk__in=links.values("paper_id"))
    return list(papers.defer(*HEAVY).order_by("-submitted", "-id")[:limit])


NEWEST = 20
"""Papers a day with nothing featured shows instead (the newest of the configured categories)."""


def newest_before(
    codes: list[str], before: datetime, limit: int = NEWEST
) -> tuple[list[Paper], bool]:
    """The newest papers first submitted before ``before`` in any of these categories, and
    True; or the newest of the whole catalogue and False when none of them has any. Papers
    a moderator unfeatured are left out."""
    unfeatured = DailyEntry.objects.filter(hidden=True).values("paper_id")
    dated = (
        Paper.objects.filter(submitted__lt=before)
        .exclude(pk__in=unfeatured)
        .defer(*HEAVY)
        .order_by("-submitted", "-id")
    )
    if codes:
        links = PaperCategory.objects.filter(category_id__in=codes)
        found = list(dated.filter(pk__in=links.values("paper_id"))[:limit])
        if found:
            return found, True
    return list(dated[:limit]), False


@require_safe
@for_visitors
def author(request: HttpRequest, ref: str) -> HttpResponse:
    """An author's page: papers newest first, co-authors, categories, the follow button.
    ``/authors/<id>`` and a wrong or missing name part redirect to ``/authors/<id>-<slug>``."""
    found = author_of_ref(ref)
    if ref != author_ref(found):
        return redirect(author_url(found) + _query_suffix(request), permanent=True)
    theirs = PaperAuthor.objects.filter(author_id=found.pk)
    # Nearly every author has fewer than COUNT_CAP papers: read their ids first (the author
    # index), then the page among those ids. Handed a subquery instead, PostgreSQL walks
    # every paper backwards by date looking for the author's (seconds at 2.5M papers).
    ids = list(theirs.values_list("paper_id", flat=True)[: COUNT_CAP + 1])
    recent: list[int] | QuerySet[PaperAuthor, Any]
    if len(ids) <= COUNT_CAP:
        mine = sorted(set(ids))
        page = _page(Paper.objects.filter(pk__in=mine), request, total=len(mine))
        recent = mine[-RECENT:]
    else:  # so many that the walk by date finds a page at once
        page = _page(Paper.objects.filter(pk__in=theirs.values("paper_id")), request)
        recent = theirs.order_by("-paper_id").values("paper_id")[:RECENT]
    co_authors = list(
        PaperAuthor.objects.filter(paper_id__in=recent)
        .exclude(author_id=found.pk)
        .values("author_id", "author__name")
        .annotate(papers=Count("paper_id", distinct=True))
        .order_by("-papers", "author__name")[:CO_AUTHORS]
    )
    categories = list(
        PaperCategory.objects.filter(paper_id__in=recent)
        .values("category_id")
        .annotate(papers=Count("paper_id"))
        .order_by("-papers", "category_id")[:CATEGORIES]
    )
    for row in co_authors:
        row["url"] = author_url(Author(pk=row["author_id"], name=row["author__name"]))
    context = {
        "author": found,
        "author_ref": author_ref(found),
        "page": page,
        "co_authors": co_authors,
        "categories": categories,
        "recent_limit": RECENT,
        "following": follows.is_following_author(request.user, found.pk),
    }
    return render(request, "community/author.html", context)


@require_safe
def author_by_name(request: HttpRequest) -> HttpResponse:
    """``/authors/by-name?name=...``: the author page of a name as it appears on a paper
    (cards carry names, not ids, so that a list page needs no lookup)."""
    name = request.GET.get("name", "")
    if not name or len(name) > 255 or "\x00" in name:
        raise Http404("no such author")
    found = Author.objects.filter(name=name).first()
    if found is None:
        raise Http404("no such author")
    return redirect(author_url(found))


@require_safe
@for_visitors
def category(request: HttpRequest, code: str) -> HttpResponse:
    """A category's newest papers (by first submission), with the follow button."""
    found = category_of_code(code)
    links = PaperCategory.objects.filter(category_id=code)
    context = {
        "category": found,
        "page": _page(Paper.objects.filter(pk__in=links.values("paper_id")), request),
        "following": follows.is_following_category(request.user, code),
    }
    return render(request, "community/category.html", context)
