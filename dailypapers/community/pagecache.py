"""Whole pages cached for visitors who are not logged in.

List and paper pages cost a few milliseconds of template rendering; most readers are not
logged in and see the same page. For them a page is kept in Django's cache (Redis in
production, SQLite files in the data folder in embedded mode, so every process shares it)
with a *community version* as the cache key's version: a counter bumped after every vote,
comment, submission or moderation step commits, so a change shows at once in every process
and nothing needs deleting. Changes to the catalogue itself show within
``DAILYPAPERS_PAGE_CACHE_SECONDS``.

A visitor's page carries no CSRF token (vote buttons are links to log in), so one copy fits
every visitor."""

from __future__ import annotations

import hashlib
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


def bump() -> None:
    """Mark every cached page stale, once the current transaction commits."""

    def _bump() -> None:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:
            community_version()

    transaction.on_commit(_bump)


def community_version() -> int:
    """The community version; a cache that lost it (flushed, restarted) starts from the
    clock, so no page still kept from before can match it."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = community_version()
    return int(version)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in {"GET", "HEAD"}
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        and not request.headers.get("HX-Request")
    )


def page_key(request: HttpRequest) -> str:
    """The page's key: today's date (pages say which day is today) and its address, hashed as
    ``cache_page`` does, so that a long query string still makes a valid key."""
    url = hashlib.md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    return f"page:{timezone.localdate().isoformat()}:{url}"


def for_visitors(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        version = community_version()
        key = page_key(request)
        cached: tuple[int, str, bytes] | None = cache.get(key, version=version)
        if cached is not None:
            status, content_type, body = cached
            return HttpResponse(body, status=status, content_type=content_type)
        response = view(request, *args, **kwargs)
        if response.status_code in {200, 404} and not response.streaming and not response.cookies:
            page = (response.status_code, response["Content-Type"], response.content)
            cache.set(key, page, timeout=settings.PAGE_CACHE_SECONDS, version=version)
        return response

    return wrapped


KEPT_HEADERS = ("Link",)
LOCAL_BYTES = 32 * 2**20
"""What each process keeps of the shared answers in its own memory, at most."""


class Local:
    """The shared answers this process served lately, by key and community version: a kept
    answer then costs no read of the shared cache beyond the version. Oldest out first, each
    kept ``PAGE_CACHE_SECONDS`` from when this process took it (so a change to the catalogue
    alone shows within twice that; any community change shows at once, as a new version)."""

    def __init__(self) -> None:
        self.answers: OrderedDict[tuple[str, int], tuple[float, tuple[str, bytes, dict[str, str]]]]
        self.answers = OrderedDict()
        self.size = 0

    def get(self, key: str, version: int) -> tuple[str, bytes, dict[str, str]] | None:
        found = self.answers.get((key, version))
        if found is None:
            return None
        if found[0] < time.monotonic():
            self._drop((key, version))
            return None
        self.answers.move_to_end((key, version))
        return found[1]

    def put(self, key: str, version: int, answer: tuple[str, bytes, dict[str, str]]) -> None:
        if len(answer[1]) > LOCAL_BYTES // 8:
            return
        self._drop((key, version))
        self.answers[(key, version)] = (time.monotonic() + settings.PAGE_CACHE_SECONDS, answer)
        self.size += len(answer[1])
        while self.size > LOCAL_BYTES:
            self._drop(next(iter(self.answers)))

    def _drop(self, slot: tuple[str, int]) -> None:
        gone = self.answers.pop(slot, None)
        if gone is not None:
            self.size -= len(gone[1][1])


_local = Local()


def shared_answer(request: HttpRequest, build: Callable[[], HttpResponse]) -> HttpResponse:
    """An answer that is the same for everyone who asks (a JSON list: no session, no CSRF
    token in it), kept like a visitor's page under its address and the community version;
    ``build`` makes it when it is not kept. Only 200s are kept, with their ``Link``."""
    if settings.PAGE_CACHE_SECONDS <= 0 or request.method not in {"GET", "HEAD"}:
        return build()
    version = community_version()
    key = "shared:" + page_key(request)
    cached = _local.get(key, version)
    if cached is None:
        cached = cache.get(key, version=version)
        if cached is not None:
            _local.put(key, version, cached)
    if cached is not None:
        content_type, body, headers = cached
        response = HttpResponse(body, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        return response
    response = build()
    if response.status_code == 200 and not response.streaming and not response.cookies:
        kept = {name: response[name] for name in KEPT_HEADERS if name in response}
        answer = (response["Content-Type"], response.content, kept)
        cache.set(key, answer, timeout=settings.PAGE_CACHE_SECONDS, version=version)
        _local.put(key, version, answer)
    return response
