"""``GET /api/papers/{id}`` (one paper, flat) and ``GET /api/papers`` (the catalogue, newest
arXiv date first, with a cursor)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import register_converter
from ninja import Query, Router, Schema
from pydantic import Field

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.community.models import Comment

from .hf import (
    ERRORS,
    ErrorOut,
    HfError,
    ListedPaperOut,
    PaperDetailOut,
    authors,
    check_rate,
    compact,
    json_answer,
    link_next,
    paper_out,
    shown_entry,
    utc,
)

router = Router(tags=["papers"])


class AnyText:
    """A path part that may hold anything, slashes and newlines too (``path`` stops at a
    newline), so that any id gets the JSON 404."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(AnyText, "anytext")

MAX_LIMIT = 100
MAX_CURSOR = 200
LIGHT = ("comments", "journal_ref", "report_no", "license", "doi", "categories")


def shown_comments() -> Coalesce:
    """How many comments readers see on the paper (``Comment.objects.shown()``)."""
    counted = (
        Comment.objects.filter(paper=OuterRef("pk"), hidden=False, deleted_at__isnull=True)
        .order_by()
        .values("paper")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class ListParams(Schema):
    cursor: str | None = Field(
        None,
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Where to go on: the Link header's cursor.",
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Papers per page, 1-100.")


def encode_cursor(paper: Paper) -> str:
    """Past this paper: its arXiv date and key (papers without a date come last)."""
    text = f"t{paper.submitted.isoformat()}|{paper.pk}" if paper.submitted else f"n|{paper.pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, pk = text[1:].split("|")
        if text[0] == "t":
            when = datetime.fromisoformat(moment)
            if when.tzinfo is None:
                raise ValueError("naive")
            return when, int(pk)
        if text[0] == "n" and not moment:
            return None, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error, IndexError):
        pass
    raise HfError(400, "Invalid cursor: use the one the Link header gave")


def page_of_papers(cursor: str | None, limit: int) -> list[Paper]:
    """``limit`` + 1 papers after the cursor (keyset paging: new papers never shift a page):
    by arXiv date, newest first, then the papers without a date, newest key first."""
    dated: datetime | None = None
    pk: int | None = None
    undated_phase = False
    if cursor:
        dated, pk = decode_cursor(cursor)
        undated_phase = dated is None
    base = Paper.objects.select_related("daily_entry").defer(*LIGHT)
    found: list[Paper] = []
    if not undated_phase:
        with_dates = base.filter(submitted__isnull=False)
        if dated is not None and pk is not None:
            with_dates = with_dates.filter(Q(submitted__lt=dated) | Q(submitted=dated, id__lt=pk))
        found = list(with_dates.order_by("-submitted", "-id")[: limit + 1])
        if len(found) > limit:
            return found
        pk = None
    undated = base.filter(submitted__isnull=True)
    if pk is not None:
        undated = undated.filter(id__lt=pk)
    return found + list(undated.order_by("-id")[: limit + 1 - len(found)])


@router.get(
    "",
    response={200: list[ListedPaperOut], **ERRORS},
    summary="All papers",
    exclude_none=True,
    by_alias=True,
)
def all_papers(request: HttpRequest, params: Query[ListParams]) -> Any:
    """Every paper of the catalogue, newest arXiv date first; ``Link: rel="next"`` carries the
    cursor of the next page when there is one."""
    check_rate(request)
    page = page_of_papers(params.cursor, params.limit)
    link = None
    if len(page) > params.limit:
        page = page[: params.limit]
        link = link_next(request, cursor=encode_cursor(page[-1]), limit=str(params.limit))
    out = []
    for paper in page:
        entry = shown_entry(paper)
        out.append(
            compact(
                {
                    "id": paper.arxiv_id,
                    "title": paper.title,
                    "summary": paper.abstract,
                    "authors": authors(paper),
                    "publishedAt": utc(paper.submitted),
                    "upvotes": entry.upvotes if entry is not None else 0,
                    "projectPage": paper.project_page or None,
                    "githubRepo": paper.code_url or None,
                }
            )
        )
    return json_answer(out, link=link)


@router.get(
    "/{anytext:paper_id}",
    response={200: PaperDetailOut, 404: ErrorOut, **ERRORS},
    summary="One paper",
    exclude_none=True,
    by_alias=True,
)
def paper_info(request: HttpRequest, paper_id: str) -> Any:
    """One paper of the catalogue, flat (Hugging Face's ``/api/papers/{id}``); an id may carry
    a version (``2501.01234v2``) or be old-style (``hep-th/9901001``)."""
    check_rate(request)
    try:
        arxiv_id = parse_arxiv_id(paper_id).id
    except InvalidArxivId:
        raise HfError(404, "Paper not found") from None
    paper = (
        Paper.objects.select_related("daily_entry__submitted_by")
        .annotate(num_comments=shown_comments())
        .filter(arxiv_id=arxiv_id)
        .first()
    )
    if paper is None:
        raise HfError(404, "Paper not found")
    out = paper_out(paper, shown_entry(paper))
    out["numComments"] = paper.num_comments  # type: ignore[attr-defined]
    return json_answer(out)
