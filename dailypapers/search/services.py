"""Searching the catalogue: one function for the page and the API, and similar papers."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q, QuerySet

from dailypapers.catalog.models import Paper, PaperCategory
from dailypapers.community.models import DailyEntry
from dailypapers.community.votes import with_upvotes
from papersearch import Filters, Mode, SearchIndex, Snippet
from papersearch import Sort as IndexSort
from papersearch.query import parse

from .holder import SearchUnavailable
from .tasks import open_index

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 250
MAX_RESULTS = 1000  # how deep paging may go
BROWSE_COUNT_CAP = 10_000  # a browse counts this many at most ("10,000+ papers")


class Sort(StrEnum):
    """The orders a reader may choose: the index's, and votes, which the catalogue holds."""

    RELEVANCE = "relevance"
    DATE = "date"
    VOTES = "votes"


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    categories: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    has_code: bool | None = None
    sort: Sort = Sort.RELEVANCE
    offset: int = 0
    limit: int = 20
    mode: Mode = Mode.HYBRID  # which rankers answer: hybrid, lexical (words) or dense (meaning)
    exclude: frozenset[str] = frozenset()  # arXiv ids the reader hides (read or saved): the
    # index leaves them out inside the search, so pages stay full
    highlight: bool = True  # the results' snippets (a caller that marks terms itself: False)

    def filters(self) -> Filters:
        return Filters(
            categories=self.categories,
            date_from=self.date_from,
            date_to=self.date_to,
            has_code=self.has_code,
            exclude=self.exclude,
        )


@dataclass(frozen=True)
class Result:
    paper: Paper
    score: float
    title: Snippet | None = None  # where the query's terms occur; None: none in that field
    abstract: Snippet | None = None


@dataclass
class SearchPage:
    request: SearchRequest
    results: list[Result] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True
    mode: Mode = Mode.HYBRID
    trimmed: bool = False  # the query was longer than MAX_QUERY_CHARS
    hidden: int = 0  # matching papers left out because the request excludes them


def clean_query(query: str) -> tuple[str, bool]:
    """The query as searched: control characters out, at most MAX_QUERY_CHARS."""
    text = "".join(ch if ch.isprintable() else " " for ch in query).strip()
    return text[:MAX_QUERY_CHARS], len(text) > MAX_QUERY_CHARS


def search_papers(
    request: SearchRequest,
    index: SearchIndex | None = None,
    papers: QuerySet[Paper] | None = None,
) -> SearchPage:
    """One page of papers for a query (the search page and the API both call this), each
    paper with its ``upvotes``. ``papers``: the catalogue as the caller wants it read (what it
    selects and annotates besides), so a page is read in one query.

    A query is ranked by the index; ``sort=votes`` orders the index's relevance pool by the
    votes the database holds (one indexed query), so the order always agrees with the counts
    shown. A request with no words (browsing, perhaps with filters) is answered by the
    database alone."""
    query, trimmed = clean_query(request.query)
    limit = max(0, min(request.limit, MAX_RESULTS - request.offset))
    parsed = parse(query)
    catalogue = Paper.objects.all() if papers is None else papers
    if parsed.is_empty:
        return _browse(catalogue, request, parsed.categories, limit, trimmed)
    index = index or open_index()
    filters = request.filters()
    if request.sort == Sort.VOTES:
        pool = index.search(query, filters, limit=MAX_RESULTS, mode=request.mode, highlight=False)
        ranked = _by_votes([hit.id for hit in pool.hits])
        page_ids = ranked[request.offset : request.offset + limit]
        scores = {hit.id: hit.score for hit in pool.hits}
        snippets = index.highlights(page_ids, query) if request.highlight else {}
        hits = [(pid, scores[pid], snippets.get(pid, {})) for pid in page_ids]
        found = pool
    else:
        found = index.search(
            query,
            filters,
            IndexSort(request.sort.value),
            limit=limit,
            offset=request.offset,
            mode=request.mode,
            highlight=request.highlight,
        )
        hits = [(hit.id, hit.score, hit.highlights) for hit in found.hits]
    # The index leaves out what the reader hides; how many of those the words match is
    # what the page says it hid.
    hidden = len(index.matching(sorted(request.exclude), query, filters)) if request.exclude else 0
    found_papers = with_upvotes(catalogue).in_bulk(
        [pid for pid, _, _ in hits], field_name="arxiv_id"
    )
    results = [
        Result(
            paper=found_papers[pid],
            score=score,
            title=marks.get("title"),
            abstract=marks.get("abstract"),
        )
        for pid, score, marks in hits
        if pid in found_papers  # deleted from the catalogue since the index took it
    ]
    return SearchPage(
        request=request,
        results=results,
        total=found.total,
        total_exact=found.total_exact,
        mode=found.mode,
        trimmed=trimmed,
        hidden=hidden,
    )


def _by_votes(ids: list[str]) -> list[str]:
    """These papers (ranked by relevance) ordered by the votes they count for, most first;
    relevance orders papers with as many votes."""
    votes = dict(
        DailyEntry.objects.filter(paper__arxiv_id__in=ids, hidden=False, upvotes__gt=0).values_list(
            "paper__arxiv_id", "upvotes"
        )
    )
    rank = {pid: i for i, pid in enumerate(ids)}
    return sorted(ids, key=lambda pid: (-votes.get(pid, 0), rank[pid]))


def _filtered(
    papers: QuerySet[Paper], request: SearchRequest, categories: tuple[str, ...]
) -> QuerySet[Paper]:
    """``papers`` narrowed by the request's filters, as the index applies them."""
    for group in (request.categories, categories):
        if group:
            wanted = Q()
            for code in group:
                wanted |= Q(category_id=code) | Q(category__code__startswith=code + ".")
            links = PaperCategory.objects.filter(wanted, paper_id=OuterRef("pk"))
            papers = papers.filter(Exists(links))
    if request.date_from is not None:
        papers = papers.filter(submitted__gte=_midnight(request.date_from))
    if request.date_to is not None:
        papers = papers.filter(submitted__lt=_midnight(request.date_to + dt.timedelta(days=1)))
    if request.has_code is not None:
        with_code = Q(repo_url__gt="") | ~Q(code_links=[])
        papers = papers.filter(with_code if request.has_code else ~with_code)
    return papers


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def _browse(
    catalogue: QuerySet[Paper],
    request: SearchRequest,
    categories: tuple[str, ...],
    limit: int,
    trimmed: bool,
) -> SearchPage:
    """Every paper that passes the filters, newest first (``sort=votes``: most votes first,
    then newest), from the database."""
    papers = _filtered(catalogue, request, categories)
    hidden = 0
    if request.exclude:
        hidden = papers.filter(arxiv_id__in=request.exclude).count()
        papers = papers.exclude(arxiv_id__in=request.exclude)
    start, stop = request.offset, request.offset + limit
    total = papers.order_by()[:BROWSE_COUNT_CAP].count()
    if request.sort == Sort.VOTES:
        page = _browse_by_votes(papers, start, stop)
    else:
        page = list(with_upvotes(papers).order_by("-submitted", "-id")[start:stop])
    return SearchPage(
        request=request,
        results=[Result(paper=p, score=float(getattr(p, "upvotes", 0))) for p in page],
        total=total,
        total_exact=total < BROWSE_COUNT_CAP,
        mode=Mode.LEXICAL,
        trimmed=trimmed,
        hidden=hidden,
    )


def _browse_by_votes(papers: QuerySet[Paper], start: int, stop: int) -> list[Paper]:
    """Papers with votes first (few: read through the featured entries' index), then the
    others newest first."""
    counted = DailyEntry.objects.filter(hidden=False, upvotes__gt=0)
    voted = with_upvotes(papers.filter(pk__in=counted.values("paper_id"))).order_by(
        "-daily_entry__upvotes", "-submitted", "-id"
    )
    n_voted = voted.count()
    page = list(voted[start:stop]) if start < n_voted else []
    if stop > n_voted:
        rest = with_upvotes(papers.exclude(pk__in=counted.values("paper_id"))).order_by(
            "-submitted", "-id"
        )
        page += list(rest[max(0, start - n_voted) : stop - n_voted])
    return page


def similar_papers(paper: Paper, k: int = 6) -> list[Paper]:
    """Papers nearest in meaning to this one (empty until the paper has its vector)."""
    try:
        hits = open_index().similar(paper.arxiv_id, k=k)
    except (KeyError, SearchUnavailable):
        return []
    papers = Paper.objects.in_bulk([hit.id for hit in hits], field_name="arxiv_id")
    return [papers[hit.id] for hit in hits if hit.id in papers]


def has_vector(paper: Paper) -> bool:
    """Whether the index holds this paper with its vector (what similar papers come from)."""
    try:
        found, _ = open_index().vectors_of([paper.arxiv_id])
    except SearchUnavailable:
        return False
    return bool(found)


@dataclass(frozen=True)
class IndexState:
    documents: int
    unembedded: int
    pending: int

    @property
    def embedded(self) -> int:
        return self.documents - self.unembedded

    @property
    def embedding_done(self) -> bool:
        return self.unembedded == 0


def index_state() -> IndexState:
    documents, unembedded = open_index().counts()
    return IndexState(
        documents=documents,
        unembedded=unembedded,
        pending=Paper.objects.needing_index().count(),
    )
