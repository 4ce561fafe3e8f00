from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from dailypapers.catalog.models import Category, Paper
from dailypapers.library import follows
from dailypapers.library.services import for_request

from .forms import MAX_PAGE, PER_PAGE, SavedSearchRefused, SearchForm, saved_query
from .holder import SearchUnavailable
from .services import Sort, index_state, search_papers

RETRY_SECONDS = 120
RESULT_FIELDS = (  # what a result shows (search_tags.search_result and the Save buttons)
    "id",
    "arxiv_id",
    "title",
    "abstract",
    "author_names",
    "primary_category",
    "submitted",
    "repo_url",
    "code_links",
)


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    wanted = replace(form.search_request(), exclude=for_request(request).hidden_arxiv_ids())
    try:
        page = search_papers(wanted, papers=Paper.objects.only(*RESULT_FIELDS))
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
        **_follow_context(request, wanted.categories),
    }
    template = "search/search.html"
    if request.headers.get("HX-Request") == "true":
        template += "#results"
    return render(request, template, context)


@require_GET
def search_help(request: HttpRequest) -> HttpResponse:
    """How to search: the query language, the modes, and why a search can find nothing."""
    return render(request, "search/help.html")


def _follow_context(request: HttpRequest, codes: tuple[str, ...]) -> dict[str, object]:
    """What the follow buttons need: the search as it would be saved (none when there is
    nothing to save), whether the reader saved it, and the filter's categories (``codes``,
    as the search form read them)."""
    try:
        query, label = saved_query(request.GET)
    except SavedSearchRefused:
        query, label = "", ""
    categories = list(Category.objects.filter(code__in=codes)) if codes else []
    followed = follows.followed_categories(request.user) if categories else set()
    return {
        "saved_query": query,
        "saved_label": label,
        "saved": follows.saved_search(request.user, *_saved_as(query)),
        "filter_categories": [(c, c.code in followed) for c in categories],
    }


def _saved_as(query: str) -> list[str]:
    """The query strings a search may have been saved as: itself, and when it is newest
    first, the search it is the stream of (saved in any order)."""
    pairs = parse_qsl(query)
    if ("sort", Sort.DATE.value) not in pairs:
        return [query]
    base = [(k, v) for k, v in pairs if k != "sort"]
    others = [[*base, ("sort", s.value)] for s in Sort if s not in {Sort.DATE, Sort.RELEVANCE}]
    return [query, urlencode(base), *(urlencode(p) for p in others)]


@require_POST
def follow_search(request: HttpRequest) -> HttpResponse:
    """Follow (with an optional ``label``) or unfollow (``action=unfollow``) the search the
    form carries in ``search``: the search page's query string, normalised."""
    htmx = bool(request.headers.get("HX-Request"))
    try:
        query, label = saved_query(QueryDict(request.POST.get("search", "")))
    except SavedSearchRefused as exc:
        return _refused(request, str(exc), htmx)
    back = f"{reverse('search:search')}?{query}"
    if not request.user.is_authenticated:
        login = f"{reverse('account_login')}?{urlencode({'next': back})}"
        if htmx:
            return HttpResponse(status=204, headers={"HX-Redirect": login})
        return HttpResponseRedirect(login)
    user = request.user
    if request.POST.get("action") == "unfollow":
        follows.unfollow_search(user, query)
        saved = None
    else:
        try:
            name = request.POST.get("label", "").strip() or label[: follows.MAX_LABEL_CHARS]
            made = follows.follow_search(user, query, name)
        except follows.FollowRefused as exc:
            return _refused(request, str(exc), htmx)
        saved = follows.SavedSearch(id=made.pk, query=made.query, label=made.label)
    if htmx:
        context = {"saved_query": query, "saved_label": label, "saved": saved}
        return render(request, "search/_follow_search.html", context)
    return HttpResponseRedirect(back)


def _refused(request: HttpRequest, message: str, htmx: bool) -> HttpResponse:
    if htmx:  # htmx swaps only a 2xx answer: the message takes the button's place
        return render(request, "search/_follow_search.html", {"refused": message})
    return render(request, "community/limited.html", {"message": message}, status=400)
