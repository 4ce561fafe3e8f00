from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


SERVER_ERROR_FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Something went wrong</title></head>
<body><main><h1>Something went wrong</h1>
<p>The site could not show this page. Please try again in a moment.</p>
<p><a href="/">Today's papers</a></p></main></body></html>"""


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, in the site's layout but rendered without the request's context
    processors (no session, no member, no database): the failure may be the database."""
    try:
        html = loader.get_template("500.html").render(
            {"site_name": settings.SITE_NAME, "error_page": True}
        )
    except Exception:  # a 500 page must not fail in its turn
        logger.exception("the 500 page could not be rendered")
        html = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(html)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form (no or a stale CSRF token): say what to do, in the site's layout."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
