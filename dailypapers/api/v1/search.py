"""Search: the search page's query language, filters and orders, paged by cursor."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Annotated, Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from dailypapers.search.forms import CATEGORY
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.services import (
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    SearchRequest,
    Sort,
    search_papers,
)
from papersearch import Mode, Snippet

from .base import READ_ERRORS, ApiError, ErrorOut, error
from .paging import (
    DAY_PATTERN,
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    as_day,
    conditional,
    link_next,
    make_cursor,
    read_cursor,
)
from .schemas import PaperOut, paper_out

router = Router(tags=["search"])

RETRY_SECONDS = 120
MAX_CATEGORIES = 10
SEEN_KEY = "api-v1:search-seen"
SEEN_SECONDS = 3600


class SearchParams(Schema):
    q: str = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        description="Words, in the search page's language (quotes, -word, cat:cs.LG, ...).",
    )
    cat: list[Annotated[str, StringConstraints(max_length=32, pattern=CATEGORY.pattern)]] = Field(
        [],
        max_length=MAX_CATEGORIES,
        description="Categories (cs.LG, or a whole group: cs), the parameter once for "
        f"each, at most {MAX_CATEGORIES}.",
    )
    date_from: str | None = Field(
        None,
        pattern=DAY_PATTERN,
        json_schema_extra={"format": "date"},
        description="Submitted on or after this day (YYYY-MM-DD).",
    )
    date_to: str | None = Field(
        None,
        pattern=DAY_PATTERN,
        json_schema_extra={"format": "date"},
        description="Submitted on or before this day (YYYY-MM-DD).",
    )
    code: bool = Field(False, description="Only papers with a code repository.")
    sort: Sort = Field(Sort.RELEVANCE, description="relevance, date (newest first) or votes.")
    mode: Mode = Field(
        Mode.HYBRID,
        description="Which rankers answer: hybrid (words and meaning), lexical (words only) "
        "or dense (meaning only).",
    )
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_CHARS, description="A page's `next`, to read the one after."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Results per page, 1-100.")


class TextPart(Schema):
    text: str
    match: bool


class SearchHit(Schema):
    paper: PaperOut
    score: float
    title_parts: list[TextPart] | None = Field(
        description="The title cut where the query's terms matched (null: none matched)."
    )
    abstract_parts: list[TextPart] | None = Field(
        description="A piece of the abstract around the matches (null: none matched)."
    )


class SearchPage(Schema):
    items: list[SearchHit]
    next: str | None
    total: int = Field(description="How many papers match (at least, when not exact).")
    total_exact: bool
    mode: str = Field(description="Which rankers answered: lexical, dense or hybrid.")


def _parts(snippet: Snippet | None) -> list[TextPart] | None:
    if snippet is None:
        return None
    return [TextPart(text=text, match=marked) for text, marked in snippet.parts()]


@router.get(
    "/search",
    response={200: SearchPage, **READ_ERRORS, 503: ErrorOut},
    summary="Search papers",
)
def search(request: HttpRequest, response: HttpResponse, params: Query[SearchParams]) -> Any:
    """Papers matching ``q`` and the filters, as the search page finds them (the first
    1,000). With no words: every paper passing the filters, newest first (``sort=votes``:
    most upvoted first). Paging keeps its place when papers are added between pages."""
    wanted = SearchRequest(
        query=params.q,
        categories=tuple(params.cat),
        date_from=as_day(params.date_from),
        date_to=as_day(params.date_to),
        has_code=True if params.code else None,
        sort=params.sort,
        mode=params.mode,
    )
    asked = repr(
        (
            wanted.query,
            wanted.categories,
            wanted.date_from,
            wanted.date_to,
            wanted.has_code,
            str(wanted.sort),
            str(wanted.mode),
        )
    )
    kind = "search:" + hashlib.sha256(asked.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    after = read_cursor(kind, params.cursor, 2)
    offset, seen = 0, None
    if after is not None:
        if not isinstance(after[0], int) or not isinstance(after[1], str):
            raise ApiError(400, "bad_cursor", "This cursor is not valid here.")
        offset = min(max(0, after[0]), MAX_RESULTS)
        seen = cache.get(f"{SEEN_KEY}:{after[1]}")
    # Ranking by relevance moves papers when others come into the index: read a window
    # reaching back two pages from where the last page ended and leave out the papers
    # already shown (kept in the cache for an hour), so a paper neither comes twice nor is
    # skipped for having moved. A cursor older than that goes on from its offset.
    start = max(0, offset - 2 * params.limit) if seen else offset
    shown = set(seen or ())
    try:
        found = search_papers(
            replace(wanted, offset=start, limit=offset - start + 2 * params.limit + 1)
        )
    except SearchUnavailable:
        refused = error(
            request, 503, "unavailable", "The search index is being rebuilt; try again soon."
        )
        refused["Retry-After"] = str(RETRY_SECONDS)
        return refused
    fresh = [r for r in found.results if r.paper.arxiv_id not in shown]
    taken = fresh[: params.limit]
    cursor = None
    if len(fresh) > params.limit:
        now_seen = [*(seen or ()), *(r.paper.arxiv_id for r in taken)]
        key = hashlib.sha256(f"{kind}:{','.join(now_seen)}".encode()).hexdigest()[:24]
        cache.set(f"{SEEN_KEY}:{key}", now_seen, SEEN_SECONDS)
        cursor = make_cursor(kind, [offset + len(taken), key])
    link_next(request, response, cursor)
    body = SearchPage(
        items=[
            SearchHit(
                paper=paper_out(r.paper),
                score=r.score,
                title_parts=_parts(r.title),
                abstract_parts=_parts(r.abstract),
            )
            for r in taken
        ],
        next=cursor,
        total=found.total,
        total_exact=found.total_exact,
        mode=str(found.mode),
    )
    return conditional(request, response, body)
