"""The ``/api/v1`` NinjaAPI, its error shape and its token authentication."""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from dailypapers.accounts.models import ApiToken
from dailypapers.accounts.tokens import authenticate
from dailypapers.community.ratelimit import Rate, allow, requester


class ApiThrottle(BaseThrottle):
    """``DAILYPAPERS_RATE_API`` requests per member (a token's owner) or per address, over
    every ``/api/v1`` operation together: over it, 429 ``rate_limited`` with Retry-After
    (the seconds left in the current window). Given to the NinjaAPI, so every route has it."""

    def allow_request(self, request: HttpRequest) -> bool:
        return allow("api-v1", requester(request), settings.RATE_API)

    def wait(self) -> float | None:
        seconds = Rate.parse(settings.RATE_API).seconds
        return max(1.0, seconds - time.time() % seconds)


v1 = NinjaAPI(
    title="Daily Papers API",
    version="1",
    description=(
        "Our own API: the daily, weekly, monthly and trending lists, papers, search, similar "
        "papers, comments, profiles and collections to read; submitting, voting, commenting, "
        "saving, collections and the digest subscription to write, with a personal token."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url=None,
    throttle=ApiThrottle(),
)


class ErrorOut(Schema):
    """Why a request was refused: a stable ``code`` and the message the page would show."""

    code: str
    message: str
    detail: list[dict[str, Any]] | None = None


class ApiError(Exception):
    """Raise from an endpoint to answer ``status`` with ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


ERRORS: dict[int, Any] = {400: ErrorOut, 422: ErrorOut, 429: ErrorOut}
"""What any operation may answer besides its own: a bad request (a NUL character, a bad
cursor), a parameter that does not validate, too many requests. Spread it into each
operation's ``response={...}`` so the schema lists them."""

READ_ERRORS: dict[int, Any] = {**ERRORS, 304: None, 404: ErrorOut}
"""What a read answers besides 200: the above, 304 to a conditional request, 404."""


def error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, **extra}
    return v1.create_response(request, body, status=status)


@v1.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message)


@v1.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error(request, 422, "invalid", "Some parameters are not valid.", detail=list(exc.errors))


@v1.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error(
        request,
        401,
        "unauthorized",
        "This needs a personal API token (Authorization: Bearer dp_…) from the settings page.",
    )
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@v1.exception_handler(Throttled)
def _throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    rate = Rate.parse(settings.RATE_API)
    response = error(request, 429, "rate_limited", f"Too many requests: at most {rate.describe()}.")
    response["Retry-After"] = str(math.ceil(exc.wait or rate.seconds))
    return response


@v1.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = STATUS_CODES.get(exc.status_code, "error")
    return error(request, exc.status_code, code, str(exc.message))


@v1.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", str(exc) or "Not found.")


class TokenAuth(HttpBearer):
    """A live personal token of an active, unsuspended member. ``request.auth`` is the
    ``ApiToken``; ``request.user`` becomes its owner, so the services see who acts."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = authenticate(token)
        if found is None:
            return None
        request.user = found.user
        return found


class WriteTokenAuth(TokenAuth):
    """As ``TokenAuth``, and the token's scope must allow writing (403 ``read_only_token``
    otherwise, not 401: the token is good, it just may not write)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = super().authenticate(request, token)
        if found is not None and not found.can_write:
            raise ApiError(
                403, "read_only_token", "This token may only read: make a read and write token."
            )
        return found


token_auth = TokenAuth()
write_auth = WriteTokenAuth()


def unrouted(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under ``/api/``: a JSON 404, in the same shape as every error."""
    body = {"code": "not_found", "message": "No such API address: see /api/docs."}
    return JsonResponse(body, status=404)
