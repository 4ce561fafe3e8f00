"""Cursor paging and conditional answers for the ``/api/v1`` reads.

Paging is by key, never by offset: a cursor is the sort key and id of the last item of a
page, signed (so a client cannot forge one, and one list's cursor is refused by another),
and the next page starts strictly after it. A paper featured or added between two pages
therefore neither repeats an item nor skips one. Each page says ``next`` (null on the last
page) and sends the same address as a ``Link: <...>; rel="next"`` header.

Every read ends with :func:`conditional`: it sends an ``ETag`` (a digest of the JSON body)
and a ``Last-Modified`` (when this instance first served that exact body), and answers
``If-None-Match`` (which wins when both are sent) or ``If-Modified-Since`` with 304."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from django.core import signing
from django.core.cache import cache
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from ninja import Schema

from .base import ApiError

M = TypeVar("M", bound=Model)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_CURSOR_CHARS = 1000
SEEN_SECONDS = 30 * 86400


DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def as_day(text: str | None, what: str = "day") -> date | None:
    """A ``YYYY-MM-DD`` text (its shape checked by the schema) as a date; a day the calendar
    lacks (``2025-02-30``) is a 400 ``bad_request``."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "bad_request", f"The {what} {text[:20]!r} does not exist.") from None


def _salt(kind: str) -> str:
    return f"dailypapers.api.v1.cursor.{kind}"


def make_cursor(kind: str, key: list[Any]) -> str:
    """An opaque cursor for ``kind`` (one per list) holding the last item's sort key."""
    return signing.dumps(key, salt=_salt(kind), compress=True)


def read_cursor(kind: str, cursor: str | None, size: int) -> list[Any] | None:
    """The sort key a cursor holds (None without one); a cursor that was not made by this
    site for this list, or is not ``size`` values long, is a 400 ``bad_cursor``."""
    if not cursor:
        return None
    bad = ApiError(400, "bad_cursor", "This cursor is not valid here: use a page's `next`.")
    if len(cursor) > MAX_CURSOR_CHARS or "\x00" in cursor:
        raise bad
    try:
        key = signing.loads(cursor, salt=_salt(kind))
    except (signing.BadSignature, ValueError, UnicodeError):
        raise bad from None
    if not isinstance(key, list) or len(key) != size:
        raise bad
    return key


def link_next(request: HttpRequest, response: HttpResponse, cursor: str | None) -> None:
    """Send ``Link: <this address with cursor=...>; rel="next"`` when there is a next page."""
    if cursor is None:
        return
    params = request.GET.copy()
    params["cursor"] = cursor
    url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
    response["Link"] = f'<{url}>; rel="next"'


def _etags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def conditional(request: HttpRequest, response: HttpResponse, body: Schema) -> Any:
    """``body`` with its ``ETag`` and ``Last-Modified``, or a bodiless 304 when the request's
    ``If-None-Match`` names that ETag (or, without one, ``If-Modified-Since`` is no earlier
    than the time this body was first served)."""
    digest = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:32]
    etag = f'"{digest}"'
    now = int(time.time())
    first_seen = int(cache.get_or_set(f"api-v1:seen:{digest}", now, SEEN_SECONDS) or now)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(first_seen)
    response["Cache-Control"] = "no-cache"
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        fresh = "*" in tags or etag in tags
    else:
        since = parse_http_date_safe(request.headers.get("If-Modified-Since") or "")
        fresh = since is not None and first_seen <= since
    if not fresh:
        return body
    answer = HttpResponseNotModified()
    for name in ("ETag", "Last-Modified", "Cache-Control", "Link"):
        if name in response:
            answer[name] = response[name]
    return answer


@dataclass(frozen=True)
class Key:
    """One column of a list's order: its lookup, its type, descending or not, and whether
    it may be null (nulls come last)."""

    field: str
    kind: type = int
    descending: bool = True
    nullable: bool = False

    def order(self) -> OrderBy:
        expression = F(self.field)
        if self.descending:
            return expression.desc(nulls_last=True) if self.nullable else expression.desc()
        return expression.asc(nulls_last=True) if self.nullable else expression.asc()

    def value(self, item: Any) -> Any:
        value = item
        for part in self.field.split("__"):
            value = getattr(value, part)
        if isinstance(value, datetime | date):
            return value.isoformat()
        return value

    def parse(self, raw: Any) -> Any:
        if raw is None:
            if not self.nullable:
                raise ValueError("null key")
            return None
        if self.kind is datetime:
            return datetime.fromisoformat(str(raw))
        if self.kind is date:
            return date.fromisoformat(str(raw))
        if self.kind is str:
            return str(raw)
        if self.kind is float:
            return float(raw)
        if self.kind is int and not isinstance(raw, bool):
            return int(raw)
        raise ValueError("bad key")

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})

    def beyond(self, value: Any) -> Q:
        """The rows strictly after ``value`` in this column's order."""
        if value is None:
            return Q(pk__in=[])  # nulls come last: nothing is after a null
        after = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
        return after | Q(**{f"{self.field}__isnull": True}) if self.nullable else after


def keyset(
    rows: QuerySet[M], kind: str, keys: tuple[Key, ...], cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """One page of ``rows`` in the order of ``keys`` (the last key unique, e.g. the id),
    starting after ``cursor``; returns the page and the cursor of the next one."""
    raw = read_cursor(kind, cursor, len(keys))
    rows = rows.order_by(*(k.order() for k in keys))
    if raw is not None:
        try:
            values = [k.parse(v) for k, v in zip(keys, raw, strict=True)]
        except (ValueError, TypeError):
            raise ApiError(400, "bad_cursor", "This cursor is not valid here.") from None
        after = Q(pk__in=[])
        for i, key in enumerate(keys):
            step = key.beyond(values[i])
            for earlier, value in zip(keys[:i], values[:i], strict=False):
                step &= earlier.equal(value)
            after |= step
        rows = rows.filter(after)
    found = list(rows[: limit + 1])
    page = found[:limit]
    more = len(found) > limit and page
    return page, make_cursor(kind, [k.value(page[-1]) for k in keys]) if more else None


class PageRequest(Protocol):
    """A list's query parameters: where to start, and how many."""

    cursor: str | None
    limit: int


def answer_page(
    request: HttpRequest,
    response: HttpResponse,
    rows: QuerySet[M],
    *,
    kind: str,
    keys: tuple[Key, ...],
    params: PageRequest,
    item: Callable[[M], Schema],
    page: Callable[..., Schema],
    **fields: Any,
) -> Any:
    """The shape every paged list answers in: one page of ``rows`` (``keyset``), each row
    as ``item``, in a ``page`` schema with ``next`` (and ``fields``), the next page's link
    in a ``Link`` header, conditional on the body's ETag."""
    found, cursor = keyset(rows, kind, keys, params.cursor, params.limit)
    link_next(request, response, cursor)
    body = page(items=[item(row) for row in found], next=cursor, **fields)
    return conditional(request, response, body)
