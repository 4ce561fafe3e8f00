"""``GET /api/papers/search``: Hugging Face's paper search, in the shape it serves."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dailypapers.community.models import Comment, DailyEntry
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.services import MAX_QUERY_CHARS, SearchRequest, search_papers
from papersearch import Mode, Snippet

from .hf import ERRORS, RETRY_SECONDS, HfError, ItemOut, check_rate, item_out, json_answer

router = Router(tags=["papers"])

MAX_LIMIT = 120


class TextPart(Schema):
    type: str
    text: str


class SearchEntry(ItemOut):
    highlightedTitle: list[TextPart]
    highlightedSummary: list[TextPart]


class SearchParams(Schema):
    q: str = Field(
        "", max_length=MAX_QUERY_CHARS, description="The query (the search page's language)."
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many papers, 1-120.")
    mode: Mode = Field(
        Mode.HYBRID,
        description="Which rankers answer: hybrid (words and meaning), lexical (words only) "
        "or dense (meaning only). Not Hugging Face's: theirs has no such parameter.",
    )


@lru_cache(maxsize=1024)
def terms_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    """The terms as whole words, any case, longest first; made once per set of terms."""
    terms = terms - {""}
    if not terms:
        return None
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=lambda t: (-len(t), t)))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def page_pattern(snippets: Iterable[Snippet | None]) -> re.Pattern[str] | None:
    """One pattern for a page of results: every term a snippet of the page matched (the
    snippets themselves may be cut short, and each paper's text is marked wherever one of
    the query's matched terms occurs in it)."""
    terms = frozenset(t.lower() for s in snippets if s is not None for t in s.terms())
    return terms_pattern(terms)


def text_parts(pattern: re.Pattern[str] | None, text: str) -> list[dict[str, str]]:
    """``text`` as HF's list of plain and highlighted pieces, marking what ``pattern``
    matches."""
    if pattern is None:
        return [{"type": "text", "text": text}] if text else []
    parts: list[dict[str, str]] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append({"type": "text", "text": text[last : match.start()]})
        parts.append({"type": "highlight", "text": match.group(0)})
        last = match.end()
    if last < len(text):
        parts.append({"type": "text", "text": text[last:]})
    return parts


@router.get(
    "/search",
    response={200: list[SearchEntry], **ERRORS},
    summary="Search papers",
    exclude_none=True,
    by_alias=True,
)
def search(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Papers matching ``q``, best first (Hugging Face's ``/api/papers/search``): the items of
    ``/api/daily_papers``, featured or not, with the matched terms marked."""
    check_rate(request)
    try:
        page = search_papers(SearchRequest(query=params.q, limit=params.limit, mode=params.mode))
    except SearchUnavailable:
        raise HfError(
            503,
            "the search index is being rebuilt; try again soon",
            headers={"Retry-After": str(RETRY_SECONDS)},
        ) from None
    ids = [r.paper.pk for r in page.results]
    entries = {
        e.paper_id: e
        for e in DailyEntry.objects.visible()
        .filter(paper_id__in=ids)
        .select_related("submitted_by")
    }
    comments = dict(
        Comment.objects.shown()
        .filter(paper_id__in=ids)
        .order_by()
        .values_list("paper_id")
        .annotate(n=Count("id"))
    )
    pattern = page_pattern(s for r in page.results for s in (r.title, r.abstract))
    out = []
    for r in page.results:
        item = item_out(r.paper, entries.get(r.paper.pk), comments.get(r.paper.pk, 0))
        item["highlightedTitle"] = text_parts(pattern, r.paper.title)
        item["highlightedSummary"] = text_parts(pattern, r.paper.abstract)
        out.append(item)
    return json_answer(out)
