"""The featured lists: a day, an ISO week, a month, trending (as the list pages order them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema

from dailypapers.community import calendar
from dailypapers.community.models import DailyEntry, DailyEntryQuerySet

from .base import READ_ERRORS, ApiError
from .paging import (
    DAY_PATTERN,
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    Key,
    answer_page,
    as_day,
)
from .schemas import EntryPage, entry_out

router = Router(tags=["lists"])


class PageParams(Schema):
    cursor: str | None = Field(
        None, max_length=MAX_CURSOR_CHARS, description="A page's `next`, to read the one after."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page, 1-100.")


BY_VOTES = (Key("upvotes"), Key("submitted_at", datetime), Key("id"))
BY_HOT = (Key("hot", float), Key("id"))
ANSWERS: dict[int, Any] = {200: EntryPage, **READ_ERRORS}


def _page(
    request: HttpRequest,
    response: HttpResponse,
    *,
    entries: DailyEntryQuerySet,
    kind: str,
    keys: tuple[Key, ...],
    params: PageParams,
) -> Any:
    return answer_page(
        request,
        response,
        entries,
        kind=kind,
        keys=keys,
        params=params,
        item=entry_out,
        page=EntryPage,
    )


@router.get("/daily/{day}", response=ANSWERS, summary="The papers featured on a day")
def daily(
    request: HttpRequest,
    response: HttpResponse,
    params: Query[PageParams],
    day: str = Path(..., pattern=DAY_PATTERN, format="date"),  # type: ignore[type-arg]
) -> Any:
    """The papers featured on ``day`` (``2026-11-28``), most upvoted first, as on
    ``/papers/date/<day>``."""
    when = as_day(day)
    assert when is not None
    entries = DailyEntry.objects.for_list().on_day(when)
    return _page(
        request,
        response,
        entries=entries,
        kind=f"day:{when.isoformat()}",
        keys=BY_VOTES,
        params=params,
    )


def _span(
    request: HttpRequest,
    response: HttpResponse,
    span: calendar.Span | None,
    what: str,
    params: PageParams,
) -> Any:
    if span is None:
        raise ApiError(404, "not_found", f"No such {what}.")
    entries = DailyEntry.objects.for_list().between(span.first, span.last)
    return _page(
        request, response, entries=entries, kind=f"span:{span.slug}", keys=BY_VOTES, params=params
    )


@router.get(
    "/weekly/{week}",
    response=ANSWERS,
    summary="The papers featured in an ISO week",
)
def weekly(
    request: HttpRequest, response: HttpResponse, week: str, params: Query[PageParams]
) -> Any:
    """The papers featured in an ISO week (``2026-W48``), most upvoted first."""
    return _span(
        request, response, calendar.week(week[:16]), "week (write it like 2026-W48)", params
    )


@router.get("/monthly/{month}", response=ANSWERS, summary="The papers featured in a month")
def monthly(
    request: HttpRequest, response: HttpResponse, month: str, params: Query[PageParams]
) -> Any:
    """The papers featured in a month (``2026-11``), most upvoted first."""
    return _span(
        request, response, calendar.month(month[:16]), "month (write it like 2026-11)", params
    )


@router.get("/trending", response=ANSWERS, summary="Trending papers")
def trending(request: HttpRequest, response: HttpResponse, params: Query[PageParams]) -> Any:
    """Featured papers by trending score (votes and recency, see the community docs)."""
    entries = DailyEntry.objects.for_list().trending()
    return _page(request, response, entries=entries, kind="trending", keys=BY_HOT, params=params)
