"""Whole pages cached for visitors who are not logged in.

List and paper pages cost a few milliseconds of template rendering; most readers are not
logged in and see the same page. For them a page is kept in the cache (Redis in production,
the file cache in embedded mode) under a key holding a *community version*, a counter bumped
after every vote, comment, submission or moderation step commits: a change shows at once,
and nothing needs deleting. Changes to the catalogue itself show within
``DAILYPAPERS_PAGE_CACHE_SECONDS``.

A visitor's page carries no CSRF token (vote buttons are links to log in), so one copy fits
every visitor."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

VERSION_KEY = "community:version"
LOCAL_PAGES = 256
"""Pages each process also keeps in memory (the shared cache is still asked for the version,
so a change shows in every process at once)."""
Page = tuple[int, str, bytes]
_local: OrderedDict[str, tuple[float, Page]] = OrderedDict()
_lock = threading.Lock()


def bump() -> None:
    """Mark every cached page stale, once the current transaction commits."""

    def _bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            _version()

    transaction.on_commit(_bump)


def _version() -> int:
    """The community version; a cache that lost it (flushed, restarted) starts from the
    clock, so no page a process still holds from before can match it."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = _version()
    return int(version)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.headers.get("HX-Request")
    )


def _remember(key: str, page: Page) -> None:
    with _lock:
        _local[key] = (time.monotonic() + settings.PAGE_CACHE_SECONDS, page)
        while len(_local) > LOCAL_PAGES:
            _local.popitem(last=False)


def _recall(key: str) -> Page | None:
    found = _local.get(key)
    if found is None or found[0] < time.monotonic():
        return None
    return found[1]


def for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        version = _version()
        key = f"page:{version}:{timezone.localdate().isoformat()}:{request.get_full_path()}"
        cached = _recall(key)
        if cached is None:
            cached = cache.get(key)
            if cached is not None:
                _remember(key, cached)
        if cached is not None:
            status, content_type, body = cached
            return HttpResponse(body, status=status, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code in {200, 404} and not response.streaming and not response.cookies:
            page = (response.status_code, response["Content-Type"], response.content)
            cache.set(key, page, timeout=settings.PAGE_CACHE_SECONDS)
            _remember(key, page)
        return response

    return wrapped
