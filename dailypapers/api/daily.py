"""``GET /api/daily_papers``: the featured papers, as Hugging Face lists them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from functools import wraps
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.decorators import decorate_view
from pydantic import Field

from dailypapers.community import calendar, pagecache
from dailypapers.community.models import DailyEntry
from dailypapers.community.submissions import today

from .hf import (
    ERRORS,
    HfError,
    ItemOut,
    check_rate,
    count_rate,
    item_out,
    json_answer,
    link_next,
)
from .kept import mark_kept

router = Router(tags=["daily papers"])

MAX_LIMIT = 100
MAX_PAGE = 10_000
USERNAME = r"^(?:[A-Za-z0-9_.@+-]|[^\x00-\x7f]){1,150}$"
"""A username as the schema states it, in explicit ranges: a word-character class is ASCII to
a JSON Schema reader and any letter to Python (usernames may be "Ölaf"). ASCII as Django's
usernames have it, anything beyond ASCII (a name no one has finds nothing)."""
FIELDS = (
    *("day", "submitted_at", "submitted_by_name", "upvotes", "hot", "comment_count", "hidden"),
    *("paper__arxiv_id", "paper__title", "paper__abstract", "paper__author_names"),
    *("paper__submitted", "paper__repo_url", "paper__code_links", "paper__project_page"),
    *("submitted_by__username", "submitted_by__first_name", "submitted_by__last_name"),
)
"""What an item shows, and nothing more (each field read costs at 100 items a page)."""


class DailySort(StrEnum):
    PUBLISHED_AT = "publishedAt"
    TRENDING = "trending"


class DailyParams(Schema):
    date: str | None = Field(
        None,
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        description="A day, YYYY-MM-DD (not in the future).",
    )
    week: str | None = Field(
        None, pattern=r"^[0-9]{4}-W[0-9]{2}$", description="An ISO week, YYYY-Www."
    )
    month: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}$", description="A month, YYYY-MM.")
    submitter: str | None = Field(
        None, pattern=USERNAME, description="Only the papers this user featured (a username)."
    )
    sort: DailySort = Field(
        DailySort.PUBLISHED_AT, description="publishedAt (the default) or trending."
    )
    p: int = Field(0, ge=0, le=MAX_PAGE, description="The page, from 0.")
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Papers per page, 1-100.")


def _day(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise HfError(400, f"Invalid date {text!r}: that day does not exist (YYYY-MM-DD)") from None
    if day > today():
        raise HfError(400, f"Invalid date {text!r}: that day is in the future")
    return day


def _span(span: calendar.Span | None, what: str, text: str) -> calendar.Span:
    if span is None:
        raise HfError(400, f"Invalid {what} {text!r}: that {what} does not exist")
    return span


def entries(params: DailyParams) -> list[DailyEntry]:
    """One page of featured entries (and one more, to know whether a next page exists), in
    one query: by votes within a day, week or month, else newest featured first; trending:
    the trending order, within the filters given."""
    found = DailyEntry.objects.visible().select_related("paper", "submitted_by").only(*FIELDS)
    spanned = False
    if params.date is not None:
        found = found.filter(day=_day(params.date))
        spanned = True
    if params.week is not None:
        span = _span(calendar.week(params.week), "week", params.week)
        found = found.filter(day__gte=span.first, day__lte=span.last)
        spanned = True
    if params.month is not None:
        span = _span(calendar.month(params.month), "month", params.month)
        found = found.filter(day__gte=span.first, day__lte=span.last)
        spanned = True
    if params.submitter is not None:
        found = found.filter(
            Q(submitted_by__username=params.submitter)
            | Q(submitted_by__isnull=True, submitted_by_name=params.submitter)
        )
    if params.sort == DailySort.TRENDING:
        found = found.order_by("-hot", "-id")
    elif spanned:
        found = found.order_by("-upvotes", "-submitted_at", "-id")
    else:
        found = found.order_by("-day", "-submitted_at", "-id")
    start = params.p * params.limit
    return list(found[start : start + params.limit + 1])


def kept_for_everyone(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The list is the same for every caller, so it is kept as the daily page is for visitors
    (``pagecache.shared_answer``: renewed by any vote, comment or featuring). Wraps the whole
    operation, so that a kept answer costs what a kept page does: no parameter parsing, no
    query; marked, so that ``kept.KeptAnswerMiddleware`` serves the next plain request
    before the rest of the stack runs. The rate is counted first, on every request."""

    @wraps(run)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not count_rate(request):
            return run(request, *args, **kwargs)  # answers the 429
        return mark_kept(pagecache.shared_answer(request, lambda: run(request, *args, **kwargs)))

    return wrapped


@router.get(
    "",
    response={200: list[ItemOut], **ERRORS},
    summary="Daily papers",
    exclude_none=True,
    by_alias=True,
)
@decorate_view(kept_for_everyone)
def daily_papers(request: HttpRequest, params: Query[DailyParams]) -> Any:
    """Featured papers (Hugging Face's ``/api/daily_papers``); a ``Link: rel="next"`` header
    points to the next page when there is one."""
    check_rate(request)
    page = entries(params)
    link = None
    if len(page) > params.limit:
        page = page[: params.limit]
        link = link_next(request, p=str(params.p + 1), limit=str(params.limit))
    return json_answer([item_out(e.paper, e, e.comment_count) for e in page], link=link)
