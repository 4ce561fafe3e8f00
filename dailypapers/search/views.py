from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dailypapers.library.services import for_request

from .forms import MAX_PAGE, PER_PAGE, SearchForm
from .holder import SearchUnavailable
from .services import index_state, search_papers

RETRY_SECONDS = 120


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    wanted = replace(form.search_request(), exclude=for_request(request).hidden_arxiv_ids())
    try:
        page = search_papers(wanted)
        state = index_state()
    except SearchUnavailable:
        response = render(request, "search/unavailable.html", {"form": form}, status=503)
        response["Retry-After"] = str(RETRY_SECONDS)
        return response
    number = wanted.offset // PER_PAGE + 1
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "state": state,
        "page_number": number,
        "previous_page": number - 1 if number > 1 else None,
        "next_page": (
            number + 1 if number < MAX_PAGE and wanted.offset + PER_PAGE < page.total else None
        ),
        "query_string": params.urlencode(),
        "has_query": bool(page.request.query.strip()),
    }
    template = "search/search.html"
    if request.headers.get("HX-Request") == "true":
        template += "#results"
    return render(request, template, context)
