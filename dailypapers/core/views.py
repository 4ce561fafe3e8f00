from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


@require_safe
def hello(request: HttpRequest) -> HttpResponse:
    """A trivial page: the baseline the speed benchmark compares real pages with."""
    return HttpResponse("hello\n", content_type="text/plain")
