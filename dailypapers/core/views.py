from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from dailypapers.catalog.models import Paper

RECENT = 30


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    papers = Paper.objects.recent().only(
        "arxiv_id", "title", "author_names", "primary_category", "submitted"
    )[:RECENT]
    return render(request, "core/home.html", {"papers": papers})


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
