"""The MCP server: search, a paper, a day's list and similar papers, for agents.

Built on the ``mcp`` SDK's ``MCPServer``. Each tool reads through the same services as the
pages (``search_papers``, ``lists``, ``similar_papers``), answers with structured content
(its output schema is the tool's model) and the same in readable text, and refuses bad
input with a tool error (``ToolError``: ``is_error`` set, the reason in words), never a crash.

The ORM is synchronous: a tool runs its database work with ``sync_to_async`` on the one
thread Django's sync code shares, and closes stale connections before and after, as Django
does around a request. ``build_server`` makes the server; ``http_app`` its streamable-HTTP
ASGI app (served at ``/mcp``), which ``dailypapers mcp --http`` runs and
``dailypapers.mcp_asgi`` exposes for an operator's own ASGI server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Literal, ParamSpec, TypeVar
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field
from starlette.applications import Starlette

from dailypapers import __version__
from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.community import lists
from dailypapers.community.models import Comment, DailyEntry
from dailypapers.community.submissions import today
from dailypapers.community.votes import with_upvotes
from dailypapers.search.forms import CATEGORY
from dailypapers.search.holder import SearchUnavailable
from dailypapers.search.services import (
    MAX_QUERY_CHARS,
    MAX_RESULTS,
    SearchRequest,
    Sort,
    search_papers,
    similar_papers,
)
from dailypapers.search.tasks import open_index

P = ParamSpec("P")
R = TypeVar("R")

MAX_LIMIT = 50  # papers one search call returns at most
MAX_SIMILAR = 20
MAX_CATEGORIES = 10
MAX_TEXT = 200  # an id or a date: anything longer is not one
UNAVAILABLE = "The search index is being rebuilt; try again in a few minutes."
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)

INSTRUCTIONS = (
    "Daily Papers: arXiv papers featured day by day by a research community, with votes "
    "and comments. `search` finds papers (the search page's query language), `paper` tells "
    "about one by its arXiv id, `daily` lists a day's featured papers, `similar` finds "
    "papers near one in meaning. Everything is read-only."
)


# --- what the tools answer ---------------------------------------------------------------


class Links(BaseModel):
    page: str = Field(description="The paper's page on this site.")
    abs: str = Field(description="Its abstract page on arXiv.")
    pdf: str
    code: str | None = Field(None, description="A code repository, when one is known.")
    project: str | None = Field(None, description="A project page, when one is known.")


class PaperCard(BaseModel):
    """A paper as a list shows it."""

    id: str = Field(description="The arXiv id, without version.")
    title: str
    authors: list[str]
    submitted: dt.datetime | None = Field(None, description="When version 1 was submitted.")
    categories: list[str] = Field(description="arXiv categories, the primary one first.")
    upvotes: int = Field(description="Community votes (0 unless featured).")
    url: str = Field(description="The paper's page on this site.")


class SearchOutput(BaseModel):
    query: str
    total: int = Field(description="Papers matching (at least this many if not exact).")
    total_exact: bool
    mode: str = Field(description="How the words were matched: hybrid, lexical or dense.")
    offset: int
    results: list[PaperCard]


class Featured(BaseModel):
    day: dt.date = Field(description="The day's list it is on.")
    submitted_by: str | None = Field(None, description="Who featured it.")
    submitted_at: dt.datetime


class PaperOutput(PaperCard):
    version: int = Field(description="The latest version known.")
    abstract: str
    updated: dt.datetime | None = Field(None, description="When the latest version came.")
    comments: str = Field(description="The authors' comments field on arXiv.")
    journal_ref: str
    doi: str
    links: Links
    featured: Featured | None = Field(None, description="Its featuring, if it is featured.")
    comment_count: int = Field(description="Comments shown on its page.")


class DailyItem(PaperCard):
    comment_count: int
    submitted_by: str | None = None


class DailyOutput(BaseModel):
    day: dt.date | None = Field(description="The day listed (none: nothing featured yet).")
    papers: list[DailyItem]
    previous_day: dt.date | None = Field(None, description="The nearest earlier day listed.")
    next_day: dt.date | None = Field(None, description="The nearest later day listed.")


class SimilarOutput(BaseModel):
    id: str = Field(description="The paper the others are similar to.")
    results: list[PaperCard]


# --- reading input -----------------------------------------------------------------------


def _checked(text: str, what: str) -> str:
    if "\x00" in text:
        raise ToolError(f"The {what} contains a NUL character.")
    return text


def _arxiv_id(text: str) -> str:
    try:
        return parse_arxiv_id(_checked(text, "arXiv id")).id
    except InvalidArxivId as exc:
        raise ToolError(str(exc)[:1].upper() + str(exc)[1:] + ".") from None


def _day(text: str | None, what: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.date.fromisoformat(_checked(text, what).strip())
    except ValueError:
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ToolError(f"The {what} must be a date as YYYY-MM-DD, not {shown!r}.") from None


def _categories(codes: list[str]) -> tuple[str, ...]:
    if len(codes) > MAX_CATEGORIES:
        raise ToolError(f"At most {MAX_CATEGORIES} categories.")
    for code in codes:
        if not (len(code) <= 32 and CATEGORY.match(_checked(code, "category"))):
            raise ToolError(f"{code[:40]!r} is not an arXiv category (such as cs.CL or hep-th).")
    return tuple(codes)


def _paper(arxiv_id: str) -> Paper:
    key = _arxiv_id(arxiv_id)
    found = with_upvotes(Paper.objects.filter(arxiv_id=key)).first()
    if found is None:
        raise ToolError(f"There is no paper {key} in this catalogue.")
    return found


# --- answering ---------------------------------------------------------------------------


def _page_url(arxiv_id: str) -> str:
    return f"{settings.SITE_URL}/papers/{arxiv_id}"


def _card(paper: Paper) -> PaperCard:
    return PaperCard(
        id=paper.arxiv_id,
        title=paper.title,
        authors=list(paper.author_names or ()),
        submitted=paper.submitted,
        categories=list(paper.categories or ()),
        upvotes=int(getattr(paper, "upvotes", 0) or 0),
        url=_page_url(paper.arxiv_id),
    )


def _card_line(n: int, card: PaperCard) -> str:
    authors = ", ".join(card.authors[:4]) + (" et al." if len(card.authors) > 4 else "")
    votes = f" · {card.upvotes} vote{'s' if card.upvotes != 1 else ''}" if card.upvotes else ""
    return f"{n}. {card.title} [{card.id}]\n   {authors}{votes}\n   {card.url}"


def _answer(model: BaseModel, text: str) -> CallToolResult:
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )


def _in_django(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` as Django runs a request: stale connections closed before and after."""

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return run


async def _orm(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run database work from the server's event loop, on Django's sync thread."""
    return await sync_to_async(_in_django(fn), thread_sensitive=True)(*args, **kwargs)


def _search(
    *,
    query: str,
    categories: list[str],
    date_from: str | None,
    date_to: str | None,
    has_code: bool | None,
    sort: str,
    offset: int,
    limit: int,
) -> CallToolResult:
    request = SearchRequest(
        query=_checked(query, "query"),
        categories=_categories(categories),
        date_from=_day(date_from, "date_from"),
        date_to=_day(date_to, "date_to"),
        has_code=has_code,
        sort=Sort(sort),
        offset=offset,
        limit=limit,
    )
    try:
        page = search_papers(request)
    except SearchUnavailable:
        raise ToolError(UNAVAILABLE) from None
    cards = [_card(r.paper) for r in page.results]
    out = SearchOutput(
        query=query,
        total=page.total,
        total_exact=page.total_exact,
        mode=str(page.mode.value),
        offset=offset,
        results=cards,
    )
    count = f"{page.total:,}{'' if page.total_exact else '+'}"
    head = f"{count} papers match {query!r}" if query.strip() else f"{count} papers"
    lines = [_card_line(offset + i + 1, c) for i, c in enumerate(cards)]
    return _answer(out, "\n".join([head + (":" if cards else "."), *lines]))


def _paper_answer(arxiv_id: str) -> CallToolResult:
    paper = _paper(arxiv_id)
    entry = DailyEntry.objects.filter(paper=paper).select_related("submitted_by").first()
    featured = None
    if entry is not None and not entry.hidden:
        featured = Featured(
            day=entry.day,
            submitted_by=entry.submitter_name or None,
            submitted_at=entry.submitted_at,
        )
    out = PaperOutput(
        **_card(paper).model_dump(),
        version=paper.version,
        abstract=paper.abstract,
        updated=paper.updated,
        comments=paper.comments,
        journal_ref=paper.journal_ref,
        doi=paper.doi,
        links=Links(
            page=_page_url(paper.arxiv_id),
            abs=paper.abs_url,
            pdf=paper.pdf_url,
            code=paper.code_url or None,
            project=paper.project_page or None,
        ),
        featured=featured,
        comment_count=Comment.objects.shown().filter(paper=paper).count(),
    )
    lines = [f"{out.title} [{out.id}v{out.version}]", ", ".join(out.authors)]
    if out.submitted:
        lines.append(f"Submitted {out.submitted:%Y-%m-%d}; categories {', '.join(out.categories)}")
    if featured:
        by = f" by {featured.submitted_by}" if featured.submitted_by else ""
        lines.append(f"Featured on {featured.day.isoformat()}{by}: {out.upvotes} votes")
    lines.append(f"{out.comment_count} comments · {out.links.page}")
    lines.append(f"arXiv: {out.links.abs} · PDF: {out.links.pdf}")
    if out.links.code:
        lines.append(f"Code: {out.links.code}")
    if out.links.project:
        lines.append(f"Project: {out.links.project}")
    lines += ["", out.abstract]
    return _answer(out, "\n".join(lines))


def _daily(day_text: str | None) -> CallToolResult:
    day = _day(day_text, "date") or lists.latest_day(today())
    if day is None:
        out = DailyOutput(day=None, papers=[], previous_day=None, next_day=None)
        return _answer(out, "No papers have been featured yet.")
    entries = lists.day_entries(day)
    before, after = lists.neighbour_days(day)
    papers = [
        DailyItem(
            **_card(e.paper).model_dump(exclude={"upvotes"}),
            upvotes=e.upvotes,
            comment_count=e.comment_count,
            submitted_by=e.submitter_name or None,
        )
        for e in entries
    ]
    out = DailyOutput(day=day, papers=papers, previous_day=before, next_day=after)
    head = f"{len(papers)} papers featured on {day:%A %d %B %Y}" + (":" if papers else ".")
    return _answer(out, "\n".join([head, *(_card_line(i + 1, p) for i, p in enumerate(papers))]))


def _similar(arxiv_id: str, limit: int) -> CallToolResult:
    paper = _paper(arxiv_id)
    try:
        open_index()
    except SearchUnavailable:
        raise ToolError(UNAVAILABLE) from None
    near = similar_papers(paper, k=limit)
    counted = with_upvotes(Paper.objects.filter(pk__in=[p.pk for p in near])).in_bulk()
    cards = [_card(counted.get(p.pk, p)) for p in near]
    out = SimilarOutput(id=paper.arxiv_id, results=cards)
    if not cards:
        text = f"No similar papers for {paper.arxiv_id} yet (it may not be indexed)."
    else:
        head = f"Papers similar to {paper.title} [{paper.arxiv_id}]:"
        text = "\n".join([head, *(_card_line(i + 1, c) for i, c in enumerate(cards))])
    return _answer(out, text)


# --- the server --------------------------------------------------------------------------


def build_server() -> MCPServer:
    server: MCPServer = MCPServer(
        name="dailypapers",
        title=settings.SITE_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        website_url=settings.SITE_URL,
    )

    @server.tool(title="Search papers", annotations=READ_ONLY)
    async def search(
        *,
        query: Annotated[
            str,
            Field(
                max_length=MAX_QUERY_CHARS,
                description=(
                    'Words, "exact phrases", -excluded words, author:Name and cat:cs.CL; '
                    "empty to browse by the filters alone."
                ),
            ),
        ] = "",
        categories: Annotated[
            list[str], Field(description="Only papers in these arXiv categories (cs.CL, hep-th).")
        ] = [],  # noqa: B006 (pydantic copies defaults)
        date_from: Annotated[
            str | None, Field(description="Submitted on or after this day, YYYY-MM-DD.")
        ] = None,
        date_to: Annotated[
            str | None, Field(description="Submitted on or before this day, YYYY-MM-DD.")
        ] = None,
        has_code: Annotated[
            bool | None, Field(description="True: only papers with code; false: without.")
        ] = None,
        sort: Annotated[
            Literal["relevance", "date", "votes"], Field(description="The order.")
        ] = "relevance",
        offset: Annotated[int, Field(ge=0, lt=MAX_RESULTS, description="Papers to skip.")] = 0,
        limit: Annotated[int, Field(ge=1, le=MAX_LIMIT, description="Papers to return.")] = 10,
    ) -> Annotated[CallToolResult, SearchOutput]:
        """Search the catalogue as the site's search page does: by words and meaning, with
        filters by category, submission date and code, sorted by relevance, date or votes."""
        return await _orm(
            _search,
            query=query,
            categories=categories,
            date_from=date_from,
            date_to=date_to,
            has_code=has_code,
            sort=sort,
            offset=offset,
            limit=limit,
        )

    @server.tool(title="A paper", annotations=READ_ONLY)
    async def paper(
        arxiv_id: Annotated[
            str,
            Field(
                max_length=MAX_TEXT,
                description="An arXiv id or URL: 2501.01234, hep-th/9901001, arxiv.org/abs/...",
            ),
        ],
    ) -> Annotated[CallToolResult, PaperOutput]:
        """One paper of the catalogue: title, authors, dates, abstract, links, votes, the
        day it was featured and how many comments it has."""
        return await _orm(_paper_answer, arxiv_id)

    @server.tool(title="A day's papers", annotations=READ_ONLY)
    async def daily(
        date: Annotated[
            str | None,
            Field(
                max_length=MAX_TEXT,
                description="The day, YYYY-MM-DD (default: the latest day with papers).",
            ),
        ] = None,
    ) -> Annotated[CallToolResult, DailyOutput]:
        """The papers featured on a day, most voted first, with the days before and after."""
        return await _orm(_daily, date)

    @server.tool(title="Similar papers", annotations=READ_ONLY)
    async def similar(
        arxiv_id: Annotated[
            str, Field(max_length=MAX_TEXT, description="The arXiv id of the paper.")
        ],
        limit: Annotated[int, Field(ge=1, le=MAX_SIMILAR, description="How many.")] = 6,
    ) -> Annotated[CallToolResult, SimilarOutput]:
        """Papers nearest in meaning to this one (those its page shows as similar)."""
        return await _orm(_similar, arxiv_id, limit)

    return server


def transport_security() -> TransportSecuritySettings:
    """The Host and Origin headers the HTTP transport accepts (DNS-rebinding protection):
    the site's ``ALLOWED_HOSTS`` and ``SITE_URL``, with any port."""
    hosts = list(settings.ALLOWED_HOSTS)
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    site = urlsplit(settings.SITE_URL)
    if site.hostname:
        hosts.append(site.hostname)
    allowed = sorted({h for host in hosts for h in (host.lstrip("."), f"{host.lstrip('.')}:*")})
    origins = sorted({f"{scheme}://{h}" for h in allowed for scheme in ("http", "https")})
    return TransportSecuritySettings(allowed_hosts=allowed, allowed_origins=origins)


def http_app(server: MCPServer | None = None) -> Starlette:
    """The streamable-HTTP ASGI app, answering at ``/mcp``."""
    return (server or build_server()).streamable_http_app(
        streamable_http_path="/mcp", transport_security=transport_security()
    )
