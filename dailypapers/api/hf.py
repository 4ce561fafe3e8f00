"""Hugging Face's shapes: papers, featured items, users and errors as ``huggingface_hub``
reads them (docs/api.md, "Hugging Face-compatible endpoints").

A paper object carries what the catalogue and the community hold; a field we do not know is
left out (``exclude_none``), never made up. Featured items wrap the paper under ``paper``
and repeat at their top level what the client reads only from there (``title``,
``publishedAt`` as the featuring time, ``submittedBy``, ``numComments``, ``projectPage``,
``githubRepo``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.community.ratelimit import Rate, allow, requester

RETRY_SECONDS = 120
JSON = "application/json; charset=utf-8"


class HfError(Exception):
    """Raise from an endpoint to answer ``status`` with Hugging Face's ``{"error": ...}``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class ErrorOut(Schema):
    """Why a request was not answered, as Hugging Face says it (also in ``X-Error-Message``)."""

    error: str


ERRORS: dict[int, Any] = {400: ErrorOut, 429: ErrorOut, 503: ErrorOut}
"""The answers every endpoint may give besides its own: a bad parameter, too many requests
from one address (``DAILYPAPERS_RATE_API``), the search index being rebuilt."""


def count_rate(request: HttpRequest) -> bool:
    """Count this request against the API's rate, once (a later call for the same request
    answers as the first did); False once the caller went over it."""
    counted: bool | None = getattr(request, "_api_rate_ok", None)
    if counted is None:  # or counted already at the door (``kept.KeptAnswers``)
        counted = request.META.get("dailypapers.api_rate_ok")
    if counted is None:
        counted = allow("api", requester(request), settings.RATE_API)
        request._api_rate_ok = counted  # type: ignore[attr-defined]
    return counted


def check_rate(request: HttpRequest) -> None:
    """Raise a 429 (with Retry-After) when the caller went over the API's rate."""
    if count_rate(request):
        return
    rate = Rate.parse(settings.RATE_API)
    raise HfError(
        429,
        f"Too many requests: at most {rate.describe()}.",
        headers={"Retry-After": str(rate.seconds)},
    )


class AuthorOut(Schema):
    name: str
    hidden: bool = False


class UserOut(Schema):
    """Hugging Face's UserOverview: ``user`` and ``name`` are the username."""

    id: str | None = Field(None, alias="_id")
    name: str
    user: str
    fullname: str | None = None
    type: str = "user"


class PaperOut(Schema):
    """The paper as ``GET /api/papers/{id}`` serves it, and under ``paper`` in an item."""

    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: datetime | None = Field(None, description="The arXiv v1 date.")
    upvotes: int = 0
    discussionId: str
    submittedOnDailyAt: datetime | None = Field(None, description="When it was featured.")
    submittedOnDailyBy: UserOut | None = None
    projectPage: str | None = None
    githubRepo: str | None = None


class PaperDetailOut(PaperOut):
    numComments: int = 0


class ListedPaperOut(Schema):
    """One paper of ``GET /api/papers``."""

    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: datetime | None = None
    upvotes: int = 0
    projectPage: str | None = None
    githubRepo: str | None = None


class ItemOut(Schema):
    """A featured paper of ``GET /api/daily_papers`` (and a result of the search)."""

    paper: PaperOut
    title: str
    summary: str
    publishedAt: datetime | None = Field(None, description="When it was featured.")
    submittedBy: UserOut | None = None
    numComments: int = 0
    upvotes: int = 0
    projectPage: str | None = None
    githubRepo: str | None = None


def object_id(pk: int) -> str:
    """A stable 24-hex id from a primary key (Hugging Face's ids are 24-hex ObjectIds)."""
    return f"{pk:024x}"


def utc(moment: datetime | None) -> str | None:
    """A moment as Hugging Face writes it: UTC, milliseconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """The dict without its None values (a field we do not know is left out)."""
    return {key: value for key, value in data.items() if value is not None}


def json_answer(data: Any, *, link: str | None = None) -> HttpResponse:
    """The body as JSON, written directly: what the endpoints' builders make already has the
    documented shape (the schema tests hold them to it), and validating it again would cost
    more than the query."""
    response = HttpResponse(orjson.dumps(data), content_type=JSON)
    if link is not None:
        response["Link"] = link
    return response


def user_out(entry: DailyEntry) -> dict[str, Any] | None:
    """Who featured the entry: a member, or a Hugging Face user named by HF's list."""
    user: User | None = entry.submitted_by
    if user is not None:
        name = user.get_username()
        return {
            "_id": object_id(user.pk),
            "name": name,
            "user": name,
            "fullname": user.get_full_name() or name,
            "type": "user",
        }
    if entry.submitted_by_name:
        name = entry.submitted_by_name
        return {"name": name, "user": name, "type": "user"}
    return None


def shown_entry(paper: Paper) -> DailyEntry | None:
    """The paper's featured entry when it is shown (not unfeatured), from select_related."""
    try:
        entry: DailyEntry = paper.daily_entry
    except DailyEntry.DoesNotExist:
        return None
    return None if entry.hidden else entry


def authors(paper: Paper) -> list[dict[str, Any]]:
    return [{"name": name, "hidden": False} for name in paper.author_names or ()]


def paper_out(paper: Paper, entry: DailyEntry | None) -> dict[str, Any]:
    """The paper object; ``entry`` is its shown featured entry, if any."""
    out: dict[str, Any] = {
        "id": paper.arxiv_id,
        "title": paper.title,
        "summary": paper.abstract,
        "authors": authors(paper),
        "publishedAt": utc(paper.submitted),
        "upvotes": entry.upvotes if entry is not None else 0,
        "discussionId": object_id(paper.pk),
        "projectPage": paper.project_page or None,
        "githubRepo": paper.code_url or None,
    }
    if entry is not None:
        out["submittedOnDailyAt"] = utc(entry.submitted_at)
        out["submittedOnDailyBy"] = user_out(entry)
    return compact(out)


def item_out(paper: Paper, entry: DailyEntry | None, num_comments: int) -> dict[str, Any]:
    """An item: the paper inside, and what the client reads at the top level only (the
    featuring time and who featured it are left out for a paper not featured)."""
    inner = paper_out(paper, entry)
    out: dict[str, Any] = {
        "paper": inner,
        "title": paper.title,
        "summary": paper.abstract,
        "publishedAt": inner.get("submittedOnDailyAt"),
        "submittedBy": inner.get("submittedOnDailyBy"),
        "numComments": num_comments,
        "upvotes": inner["upvotes"],
        "projectPage": inner.get("projectPage"),
        "githubRepo": inner.get("githubRepo"),
    }
    return compact(out)


def link_next(request: HttpRequest, **params: str) -> str:
    """``<this address with params>; rel="next"``, for a Link header."""
    query = request.GET.copy()
    for key, value in params.items():
        query[key] = value
    url = request.build_absolute_uri(request.path) + "?" + query.urlencode()
    return f'<{url}>; rel="next"'
