"""Request checks at the boundary, before any view runs."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError

NUL = "\x00"


def _has_nul(values: Iterable[str]) -> bool:
    return any(NUL in value for value in values)


class RejectNulMiddleware:
    """No id, name or text this site stores holds a NUL character (PostgreSQL's text cannot
    store one), so a request carrying one in its path or in a posted form field (name or
    value) is answered 400 with a plain reason, before a view sees it. Query parameters are
    left to the forms that read them, which drop what they cannot use (the search page
    searches what remains)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            if request.path.startswith("/api/"):  # the APIs answer every error as JSON
                return JsonResponse(
                    {"code": "bad_request", "message": "The request holds a NUL character."},
                    status=400,
                )
            return HttpResponseBadRequest(
                "Bad request: it contains a NUL character (%00), which no field accepts.\n",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if NUL in request.path:  # the whole path, the script prefix included
            return True
        if request.method != "POST":
            return False
        try:
            form = request.POST
        except MultiPartParserError:
            return False  # the view's own parsing answers it (400)
        return _has_nul(form.keys()) or _has_nul(v for vs in form.lists() for v in vs[1])


class ApiHeadMiddleware:
    """``HEAD`` on the JSON APIs answers as ``GET`` would, without the body (RFC 9110: every
    resource that answers GET answers HEAD). The pages' views allow HEAD themselves; the
    ninja routes declare GET only, so a HEAD is run as a GET here and its body dropped, its
    headers (Content-Length, ETag, Link) kept."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD" or not request.path.startswith("/api/"):
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        if not response.streaming:
            length = len(response.content)
            response.content = b""
            response["Content-Length"] = str(length)
        return response
