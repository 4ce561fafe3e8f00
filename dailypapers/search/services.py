"""Searching the catalogue: one function for the page and the API, and similar papers."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog.models import Paper
from dailypapers.community.votes import with_upvotes
from papersearch import Filters, Mode, SearchIndex, Sort

from . import keeper

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 250
MAX_RESULTS = 1000  # how deep paging may go


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

    def filters(self) -> Filters:
        return Filters(
            categories=self.categories,
            date_from=self.date_from,
            date_to=self.date_to,
            has_code=self.has_code,
        )


@dataclass(frozen=True)
class Result:
    paper: Paper
    score: float
    title_html: SafeString | None  # escaped snippet with <b> marks; None: no term matched
    abstract_html: SafeString | None


@dataclass
class SearchPage:
    request: SearchRequest
    results: list[Result] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True
    mode: Mode = Mode.HYBRID
    trimmed: bool = False  # the query was longer than MAX_QUERY_CHARS


def clean_query(query: str) -> tuple[str, bool]:
    """The query as searched: control characters out, at most MAX_QUERY_CHARS."""
    text = "".join(ch if ch.isprintable() else " " for ch in query).strip()
    return text[:MAX_QUERY_CHARS], len(text) > MAX_QUERY_CHARS


def _snippet(text: str) -> SafeString | None:
    # papersearch returns escaped HTML whose only tags are its <b> marks
    return mark_safe(text) if text and "<b>" in text else None  # noqa: S308


def search_papers(request: SearchRequest, index: SearchIndex | None = None) -> SearchPage:
    """One page of papers for a query (the search page and the API both call this), each
    paper with its ``upvotes``."""
    query, trimmed = clean_query(request.query)
    index = index or keeper.get_index()
    limit = max(0, min(request.limit, MAX_RESULTS - request.offset))
    found = index.search(query, request.filters(), request.sort, limit=limit, offset=request.offset)
    papers = with_upvotes(Paper.objects.all()).in_bulk(
        [hit.id for hit in found.hits], field_name="arxiv_id"
    )
    results = [
        Result(
            paper=papers[hit.id],
            score=hit.score,
            title_html=_snippet(hit.highlights.get("title", "")),
            abstract_html=_snippet(hit.highlights.get("abstract", "")),
        )
        for hit in found.hits
        if hit.id in papers  # deleted from the catalogue since the index took it
    ]
    return SearchPage(
        request=request,
        results=results,
        total=found.total,
        total_exact=found.total_exact,
        mode=found.mode,
        trimmed=trimmed,
    )


def similar_papers(paper: Paper, k: int = 6) -> list[Paper]:
    """Papers nearest in meaning to this one (empty until the paper has its vector)."""
    try:
        hits = keeper.get_index().similar(paper.arxiv_id, k=k)
    except (KeyError, keeper.SearchUnavailable):
        return []
    papers = Paper.objects.in_bulk([hit.id for hit in hits], field_name="arxiv_id")
    return [papers[hit.id] for hit in hits if hit.id in papers]


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
    stats = keeper.get_index().stats()
    return IndexState(
        documents=stats.documents,
        unembedded=stats.unembedded,
        pending=Paper.objects.needing_index().count(),
    )
