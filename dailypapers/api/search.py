"""``GET /api/papers/search``: Hugging Face's paper search, in the shape it serves."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from dailypapers.catalog.models import Paper
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.services import (
    MAX_QUERY_CHARS,
    SearchRequest,
    clean_query,
    search_papers,
)
from papersearch import Mode, highlight_terms
from papersearch.query import parse

from .hf import (
    ERRORS,
    RETRY_SECONDS,
    HfError,
    ItemOut,
    check_rate,
    item_out,
    json_answer,
    shown_entry,
)
from .papers import LIGHT, shown_comments

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
    # one query for the page: each paper with its featured entry, who featured it and how
    # many comments readers see
    papers = (
        Paper.objects.select_related("daily_entry__submitted_by")
        .defer(*LIGHT)
        .annotate(num_comments=shown_comments())
    )
    try:
        page = search_papers(
            SearchRequest(query=params.q, limit=params.limit, mode=params.mode, highlight=False),
            papers=papers,
        )
    except SearchUnavailable:
        raise HfError(
            503,
            "the search index is being rebuilt; try again soon",
            headers={"Retry-After": str(RETRY_SECONDS)},
        ) from None
    # every paper's title and summary marked wherever one of the query's terms occurs
    pattern = terms_pattern(frozenset(highlight_terms(parse(clean_query(params.q)[0]))))
    out = []
    for r in page.results:
        item = item_out(r.paper, shown_entry(r.paper), r.paper.num_comments)  # type: ignore[attr-defined]
        item["highlightedTitle"] = text_parts(pattern, r.paper.title)
        item["highlightedSummary"] = text_parts(pattern, r.paper.abstract)
        out.append(item)
    return json_answer(out)
