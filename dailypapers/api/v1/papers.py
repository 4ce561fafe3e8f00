"""Papers: the catalogue newest first, one paper, its similar papers, its discussion."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.community.comments import Node, thread
from dailypapers.community.models import DailyEntry
from dailypapers.community.votes import with_upvotes
from dailypapers.search.services import similar_papers

from .base import READ_ERRORS, ApiError
from .lists import PageParams
from .paging import Key, answer_page, conditional, link_next, make_cursor, read_cursor
from .schemas import PaperDetail, PaperPage, featured_out, paper_out

router = Router(tags=["papers"])

NEWEST = (Key("submitted", datetime, nullable=True), Key("id"))
MAX_ID_CHARS = 200


def find_paper(arxiv_id: str) -> Paper:
    """The catalogue's paper for an arXiv id (any spelling the site accepts: with a version,
    old style with a slash, an arxiv.org address), or 404 ``not_found``."""
    try:
        parsed = parse_arxiv_id(arxiv_id[: MAX_ID_CHARS + 1])
    except InvalidArxivId as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    found = with_upvotes(Paper.objects.filter(arxiv_id=parsed.id)).first()
    if found is None:
        raise ApiError(404, "not_found", f"No paper {parsed.id} in this catalogue.")
    return found


@router.get("/papers", response={200: PaperPage, **READ_ERRORS}, summary="Papers, newest first")
def papers(request: HttpRequest, response: HttpResponse, params: Query[PageParams]) -> Any:
    """Every paper of the catalogue, newest submission first."""
    return answer_page(
        request,
        response,
        with_upvotes(Paper.objects.all()),
        kind="papers",
        keys=NEWEST,
        params=params,
        item=paper_out,
        page=PaperPage,
    )


class SimilarParams(Schema):
    limit: int = Field(6, ge=1, le=50, description="How many papers, 1-50 (one page only).")


@router.get(
    "/papers/{path:arxiv_id}/similar",
    response={200: PaperPage, **READ_ERRORS},
    summary="Papers similar to a paper",
)
def similar(
    request: HttpRequest, response: HttpResponse, arxiv_id: str, params: Query[SimilarParams]
) -> Any:
    """The papers nearest in meaning to this one, as the paper page shows them (none until
    the paper is in the search index). One page: ``next`` is always null."""
    paper = find_paper(arxiv_id)
    near = [p.pk for p in similar_papers(paper, k=params.limit)]
    counted = with_upvotes(Paper.objects.filter(pk__in=near)).in_bulk()
    body = PaperPage(items=[paper_out(counted[pk]) for pk in near if pk in counted], next=None)
    return conditional(request, response, body)


class CommentOut(Schema):
    """A comment and its replies. A hidden or deleted comment that has replies stays as a
    placeholder (``state`` says why; no author or text), as on the paper page."""

    id: int
    state: str = Field(description="shown, hidden (by a moderator) or deleted (by its author)")
    author: str | None
    body: str | None = Field(description="Markdown, as written")
    body_html: str | None = Field(description="Rendered and sanitised")
    created_at: datetime
    edited_at: datetime | None
    replies: list[CommentOut]


CommentOut.model_rebuild()


class CommentPage(Schema):
    items: list[CommentOut] = Field(description="Threads, oldest first")
    next: str | None


def comment_out(node: Node) -> CommentOut:
    c = node.comment
    state = "shown" if c.shown else ("hidden" if c.hidden else "deleted")
    return CommentOut(
        id=c.pk,
        state=state,
        author=c.author.get_username() if c.shown else None,
        body=c.body if c.shown else None,
        body_html=c.body_html if c.shown else None,
        created_at=c.created_at,
        edited_at=c.edited_at if c.shown else None,
        replies=[comment_out(n) for n in node.children],
    )


@router.get(
    "/papers/{path:arxiv_id}/comments",
    response={200: CommentPage, **READ_ERRORS},
    summary="A paper's discussion, threaded",
)
def comments(
    request: HttpRequest, response: HttpResponse, arxiv_id: str, params: Query[PageParams]
) -> Any:
    """The paper's comments as threads (each with its replies), oldest thread first; paged
    by thread."""
    paper = find_paper(arxiv_id)
    kind = f"comments:{paper.pk}"
    after = read_cursor(kind, params.cursor, 2)
    roots = thread(paper)
    if after is not None:
        try:
            key = (datetime.fromisoformat(str(after[0])), int(after[1]))
        except (ValueError, TypeError):
            raise ApiError(400, "bad_cursor", "This cursor is not valid here.") from None
        roots = [n for n in roots if (n.comment.created_at, n.comment.pk) > key]
    page = roots[: params.limit]
    cursor = None
    if len(roots) > params.limit:
        last = page[-1].comment
        cursor = make_cursor(kind, [last.created_at.isoformat(), last.pk])
    link_next(request, response, cursor)
    body = CommentPage(items=[comment_out(n) for n in page], next=cursor)
    return conditional(request, response, body)


@router.get(
    "/papers/{path:arxiv_id}",
    response={200: PaperDetail, **READ_ERRORS},
    summary="One paper",
)
def paper(request: HttpRequest, response: HttpResponse, arxiv_id: str) -> Any:
    """A paper by its arXiv id: ``2501.01234``, ``2501.01234v2`` or an old-style
    ``hep-th/9901001``; with where it was featured, if it was."""
    found = find_paper(arxiv_id)
    entry = DailyEntry.objects.filter(paper=found, hidden=False).select_related("submitted_by")
    featured = entry.first()
    base = paper_out(found, full=True)
    body = PaperDetail(
        **base.model_dump(), featured=featured_out(featured) if featured is not None else None
    )
    return conditional(request, response, body)
