"""``GET /api/papers/search``: Hugging Face's paper search, in the shape it serves."""

from __future__ import annotations

import html
import re
from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from dailypapers.catalog.models import Paper
from dailypapers.search.keeper import SearchUnavailable
from dailypapers.search.services import MAX_QUERY_CHARS, SearchRequest, search_papers

router = Router(tags=["papers"])

MAX_LIMIT = 120


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


MARK = re.compile(r"<b>(.*?)</b>", re.S)


def text_parts(snippet: str, text: str) -> list[TextPart]:
    """``text`` as HF's list of plain and highlighted pieces, marking the terms the
    snippet highlighted (the snippet itself may be cut short)."""
    terms = {html.unescape(t).strip() for t in MARK.findall(snippet)} - {""}
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


@router.get("/search", response=list[SearchEntry], summary="Search papers")
def search(request: HttpRequest, params: Query[SearchParams]) -> list[SearchEntry]:
    """Papers matching ``q``, best first (Hugging Face's ``/api/papers/search``)."""
    try:
        page = search_papers(SearchRequest(query=params.q, limit=params.limit))
    except SearchUnavailable as exc:
        raise HttpError(503, "the search index is being rebuilt; try again soon") from exc
    return [
        SearchEntry(
            paper=paper_out(r.paper),
            title=r.paper.title,
            summary=r.paper.abstract,
            publishedAt=r.paper.submitted,
            highlightedTitle=text_parts(str(r.title_html or ""), r.paper.title),
            highlightedSummary=text_parts(str(r.abstract_html or ""), r.paper.abstract),
        )
        for r in page.results
    ]
