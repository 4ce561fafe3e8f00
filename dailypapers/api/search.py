"""``GET /api/papers/search``: Hugging Face's paper search, in the shape it serves."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from dailypapers.catalog.models import Paper
from dailypapers.community.ratelimit import Rate, allow, requester
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.services import MAX_QUERY_CHARS, SearchRequest, search_papers
from papersearch import Snippet

router = Router(tags=["papers"])

MAX_LIMIT = 120
RETRY_SECONDS = 120


class Problem(Schema):
    """Why a request was not answered (429, 503)."""

    detail: str


class ValidationProblem(Schema):
    """Which parameters were wrong, and why (422)."""

    detail: list[dict[str, Any]]


ERRORS: dict[int, Any] = {422: ValidationProblem, 429: Problem, 503: Problem}
"""The answers every endpoint may give besides its own: a bad parameter, too many requests
from one address (``DAILYPAPERS_RATE_API``), the search index being rebuilt."""


def limited(request: HttpRequest, response: HttpResponse) -> Status[Problem] | None:
    """A 429 when the caller went over the API's rate (with Retry-After), else None."""
    if allow("api", requester(request), settings.RATE_API):
        return None
    rate = Rate.parse(settings.RATE_API)
    response["Retry-After"] = str(rate.seconds)
    return Status(429, Problem(detail=f"Too many requests: at most {rate.describe()}."))


class AuthorOut(Schema):
    name: str
    hidden: bool = False


class PaperOut(Schema):
    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: datetime | None = None
    upvotes: int = 0
    projectPage: str | None = None
    githubRepo: str | None = None


class TextPart(Schema):
    type: str
    text: str


class SearchEntry(Schema):
    paper: PaperOut
    title: str
    summary: str
    publishedAt: datetime | None = None
    numComments: int = 0
    highlightedTitle: list[TextPart]
    highlightedSummary: list[TextPart]


class SearchParams(Schema):
    q: str = Field(
        "", max_length=MAX_QUERY_CHARS, description="The query (the search page's language)."
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="How many papers, 1-120.")


def text_parts(snippet: Snippet | None, text: str) -> list[TextPart]:
    """``text`` as HF's list of plain and highlighted pieces, marking the terms the
    snippet matched (the snippet itself may be cut short)."""
    terms = (snippet.terms() if snippet is not None else set()) - {""}
    if not terms:
        return [TextPart(type="text", text=text)] if text else []
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    parts: list[TextPart] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() > last:
            parts.append(TextPart(type="text", text=text[last : match.start()]))
        parts.append(TextPart(type="highlight", text=match.group(0)))
        last = match.end()
    if last < len(text):
        parts.append(TextPart(type="text", text=text[last:]))
    return parts


def paper_out(paper: Paper) -> PaperOut:
    return PaperOut(
        id=paper.arxiv_id,
        title=paper.title,
        summary=paper.abstract,
        authors=[AuthorOut(name=name) for name in paper.author_names or ()],
        publishedAt=paper.submitted,
        upvotes=int(getattr(paper, "upvotes", 0) or 0),
        projectPage=paper.project_page or None,
        githubRepo=paper.code_url or None,
    )


@router.get("/search", response={200: list[SearchEntry], **ERRORS}, summary="Search papers")
def search(request: HttpRequest, response: HttpResponse, params: Query[SearchParams]) -> Any:
    """Papers matching ``q``, best first (Hugging Face's ``/api/papers/search``)."""
    refused = limited(request, response)
    if refused:
        return refused
    try:
        page = search_papers(SearchRequest(query=params.q, limit=params.limit))
    except SearchUnavailable:
        response["Retry-After"] = str(RETRY_SECONDS)
        return Status(503, Problem(detail="the search index is being rebuilt; try again soon"))
    return [
        SearchEntry(
            paper=paper_out(r.paper),
            title=r.paper.title,
            summary=r.paper.abstract,
            publishedAt=r.paper.submitted,
            highlightedTitle=text_parts(r.title, r.paper.title),
            highlightedSummary=text_parts(r.abstract, r.paper.abstract),
        )
        for r in page.results
    ]
