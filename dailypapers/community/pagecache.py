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

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

VERSION_KEY = "community:version"


def bump() -> None:
    """Mark every cached page stale, once the current transaction commits."""

    def _bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            cache.set(VERSION_KEY, 1, timeout=None)

    transaction.on_commit(_bump)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.headers.get("HX-Request")
    )


def for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        version = cache.get(VERSION_KEY, 0)
        key = f"page:{version}:{timezone.localdate().isoformat()}:{request.get_full_path()}"
        cached = cache.get(key)
        if cached is not None:
            status, content_type, body = cached
            return HttpResponse(body, status=status, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code in {200, 404} and not response.streaming and not response.cookies:
            cache.set(
                key,
                (response.status_code, response["Content-Type"], response.content),
                timeout=settings.PAGE_CACHE_SECONDS,
            )
        return response

    return wrapped
