"""The lists that are the same for everyone, answered at the door.

``/api/daily_papers`` answers every caller alike, so its answer is kept (see
``daily.kept_for_everyone``). A kept answer still went through Django's handler, every
middleware (sessions, CSRF, authentication, messages, security headers) and the URL
resolver on each request: most of what such a request cost. So the *final* answer, with
every header the stack added, is kept once more in this process's memory, under its address
and the community version (``KeptAnswerMiddleware``, the first middleware, records it), and
``KeptAnswers``, wrapped around the WSGI application, serves the next plain request for it
straight from there, after counting it against the API's rate.

Plain means a ``GET`` with no cookie, no token, no ``Origin`` and no conditional header: the
requests whose answer cannot depend on who asks. Anything else, a first request, a vote since
(a new version), a caller over the rate, goes through the whole stack as before."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from dailypapers.community import pagecache
from dailypapers.community.ratelimit import allow

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

KEPT_PATHS = frozenset({"/api/daily_papers"})
"""The paths whose answers are the same for everyone (the operation marks each answer)."""

PERSONAL = (
    *("HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_ORIGIN", "HTTP_HX_REQUEST"),
    *("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE"),
)

Answer = tuple[str, bytes, dict[str, str]]
_final = pagecache.Local()


def mark_kept(response: HttpResponse) -> HttpResponse:
    """Say that this answer is the same for everyone who asks plainly."""
    response.kept_for_everyone = True  # type: ignore[attr-defined]
    return response


def _plain(environ: dict[str, Any]) -> bool:
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and environ.get("PATH_INFO") in KEPT_PATHS
        and settings.PAGE_CACHE_SECONDS > 0
        and not any(environ.get(name) for name in PERSONAL)
    )


def _key(environ: dict[str, Any]) -> str:
    """Today (lists say which day is today) and the address as it came."""
    query = environ.get("QUERY_STRING", "")
    return f"final:{timezone.localdate().isoformat()}:{environ['PATH_INFO']}?{query}"


class KeptAnswerMiddleware:
    """Records the final answer of a plain request that its operation marked as kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _plain(request.META):
            return self.get_response(request)
        version = pagecache.community_version()  # before the answer is made
        response = self.get_response(request)
        if (
            getattr(response, "kept_for_everyone", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
        ):
            headers = {name: value for name, value in response.items()}
            _final.put(_key(request.META), version, ("200 OK", response.content, headers))
        return response


class KeptAnswers:
    """A WSGI application around the site's: a plain request for a kept answer is answered
    from this process's memory; everything else goes on to the site."""

    def __init__(self, application: WSGIApplication) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if _plain(environ):
            kept = _final.get(_key(environ), pagecache.community_version())
            if kept is not None:
                # a plain caller is a visitor, counted by address (``ratelimit.requester``),
                # and once: over the rate, the site answers the 429 without counting again
                within = allow("api", environ["REMOTE_ADDR"], settings.RATE_API)
                if within:
                    status, body, headers = kept
                    start_response(status, list(headers.items()))
                    return [body]
                environ["dailypapers.api_rate_ok"] = False
        return self.application(environ, start_response)
