"""RSS and Atom for search results (any query with the search page's filters and sort; a
saved search's feed is its stream, the same search newest first) and for a reader's For you
picks at their private address.

A search feed reads the page's own query string through the page's form: a field that does
not validate is dropped, never an error, so any address answers 200 (or 503 while the
index is unavailable). Its first ``FEED_LIMIT`` results are one search and one query for
the papers; visitors' copies are kept by the community's page cache. The For you feed is
the reader's first page of picks over the last seven days, kept ``FOR_YOU_SECONDS`` in the
cache; its address carries a secret, so it answers with ``Referrer-Policy: no-referrer`` and
``X-Robots-Tag: noindex``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.views.decorators.http import require_safe

from dailypapers.catalog.models import Paper
from dailypapers.community.feeds import PaperItems, plain
from dailypapers.community.pagecache import for_visitors

from . import foryou
from .forms import SavedSearchRefused, SearchForm, saved_query
from .holder import SearchUnavailable
from .services import Result, SearchPage, Sort, clean_query, search_papers

FEED_LIMIT = 50
FOR_YOU_SECONDS = 600
RETRY_SECONDS = 120


@dataclass(frozen=True)
class SearchFeedObject:
    page: SearchPage
    query: str  # the search page's query string, normalised ("" for every paper)
    label: str


def search_request_of(request: HttpRequest) -> SearchFeedObject:
    """The search a feed address asks for, read as the search page reads it, its first
    ``FEED_LIMIT`` results; raises SearchUnavailable while the index is."""
    wanted = replace(SearchForm(request.GET).search_request(), offset=0, limit=FEED_LIMIT)
    try:
        query, label = saved_query(request.GET)
    except SavedSearchRefused:  # nothing to save (no words, no filter), or overlong words
        words, _ = clean_query(str(request.GET.get("q") or ""))
        pairs = [("q", " ".join(words.split()))] if words.strip() else []
        if wanted.sort != Sort.RELEVANCE:
            pairs.append(("sort", wanted.sort.value))
        query, label = urlencode(pairs), " ".join(words.split())
    label = label or "all papers"
    if wanted.sort == Sort.DATE:
        label += " (newest first)"
    return SearchFeedObject(page=search_papers(wanted), query=query, label=label)


class SearchFeed(PaperItems):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed
    route = "search:feed_rss"

    def get_object(self, request: HttpRequest) -> SearchFeedObject:
        return search_request_of(request)

    def feed_url(self, obj: SearchFeedObject) -> str:
        """The feed's own address (its self link): the search's normalised query with it."""
        base = reverse(self.route)
        return f"{base}?{obj.query}" if obj.query else base

    def title(self, obj: SearchFeedObject) -> str:
        return f"{settings.SITE_NAME}: search: {plain(obj.label)}"

    def link(self, obj: SearchFeedObject) -> str:
        base = reverse("search:search")
        return f"{base}?{obj.query}" if obj.query else base

    def description(self, obj: SearchFeedObject) -> str:
        return "The first results of this search, as the search page shows them."

    def items(self, obj: SearchFeedObject) -> list[Result]:
        return obj.page.results

    def paper_of(self, item: Result) -> Paper:
        return item.paper


class AtomSearchFeed(SearchFeed):
    feed_type = Atom1Feed
    subtitle = None
    route = "search:feed_atom"


_SEARCH_FEEDS: dict[str, SearchFeed] = {"rss": SearchFeed(), "atom": AtomSearchFeed()}


@require_safe
@for_visitors
def search_feed(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        return _SEARCH_FEEDS[kind](request)
    except SearchUnavailable:
        response = HttpResponse(
            "The search index is being prepared: try again in a few minutes.\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(RETRY_SECONDS)
        return response


# --- For you --------------------------------------------------------------------------


def _reason_text(reason: foryou.Reason) -> str:
    if reason.why == foryou.Why.LIKE:
        title = plain(reason.paper.title) if reason.paper else reason.value
        return f"Like “{title}”"
    if reason.why == foryou.Why.AUTHOR:
        return f"By {plain(reason.value)}, whom you follow"
    if reason.why == foryou.Why.SEARCH:
        return f"Matches your saved search “{plain(reason.label)}”"
    return f"New in {reason.value}"


class ForYouFeed(PaperItems):
    feed_type: type[SyndicationFeed] = Rss201rev2Feed

    def get_object(self, request: HttpRequest, secret: str) -> User:
        user = foryou.reader_of_feed(secret)
        if user is None:
            raise Http404("no such feed")
        return user

    def title(self, obj: User) -> str:
        return f"{settings.SITE_NAME}: for {obj.get_username()}"

    def link(self) -> str:
        return reverse("search:for_you")

    def description(self) -> str:
        return "New papers of the last seven days picked for you, each with why."

    def items(self, obj: User) -> list[foryou.Pick]:
        return foryou.for_you(obj, foryou.feed_span()).picks

    def paper_of(self, item: foryou.Pick) -> Paper:
        assert item.paper is not None  # for_you keeps hydrated picks only
        return item.paper

    def item_extra(self, item: foryou.Pick) -> str:
        return "Why: " + "; ".join(_reason_text(r) for r in item.reasons) if item.reasons else ""


class AtomForYouFeed(ForYouFeed):
    feed_type = Atom1Feed
    subtitle = None


_FOR_YOU_FEEDS: dict[str, ForYouFeed] = {"rss": ForYouFeed(), "atom": AtomForYouFeed()}


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_safe
def for_you_feed(request: HttpRequest, secret: str, kind: str) -> HttpResponse:
    """The reader's picks at their private address: checked on every request (an old
    secret is a 404 at once), the picks themselves kept a few minutes per reader."""
    user = foryou.reader_of_feed(secret)
    if user is None:
        raise Http404("no such feed")
    # By the secret's digest, so that a copy made under an old address (its self link
    # names it) is never served under a new one.
    key = f"for-you-feed:{kind}:{foryou.feed_key(secret)}"
    cached: tuple[str, bytes] | None = cache.get(key)
    if cached is not None:
        content_type, body = cached
        return _private(HttpResponse(body, content_type=content_type))
    response: Any = _FOR_YOU_FEEDS[kind](request, secret=secret)
    if response.status_code == 200:
        cache.set(key, (response["Content-Type"], response.content), timeout=FOR_YOU_SECONDS)
    return _private(response)
