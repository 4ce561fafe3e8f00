"""Follow buttons (authors, categories) and the reader's Following page. The verbs are the
library's (``dailypapers.library.follows``); saved searches are followed from the search
page."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from dailypapers.catalog.models import Author, Category
from dailypapers.library import follows

from .browse import CATEGORY_CODE, MAX_ID, author_url


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return target


def _login(request: HttpRequest, page: str) -> HttpResponse:
    login = f"{reverse('account_login')}?next={page}"
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": login})
    return HttpResponseRedirect(login)


def _answer(request: HttpRequest, page: str, context: dict[str, object]) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, "community/_follow.html", {**context, "back": page})
    return HttpResponseRedirect(_back(request, page))


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "community/limited.html", {"message": message}, status=409)


@require_POST
def follow_author(request: HttpRequest, author_id: int) -> HttpResponse:
    """``action=follow`` (the default) or ``unfollow``: either is idempotent."""
    if author_id > MAX_ID:
        raise Http404("no such author")
    found = get_object_or_404(Author, pk=author_id)
    page = author_url(found)
    if not request.user.is_authenticated:
        return _login(request, page)
    return _toggle(
        request,
        page,
        lambda user: follows.follow_author(user, found.pk),
        lambda user: follows.unfollow_author(user, found.pk),
        {"kind": "author", "target": found.pk, "name": found.name},
    )


@require_POST
def follow_category(request: HttpRequest, code: str) -> HttpResponse:
    if len(code) > 32 or not CATEGORY_CODE.fullmatch(code):
        raise Http404("not a category")
    found = get_object_or_404(Category, code=code)
    page = reverse("category", args=[found.code])
    if not request.user.is_authenticated:
        return _login(request, page)
    return _toggle(
        request,
        page,
        lambda user: follows.follow_category(user, found.code),
        lambda user: follows.unfollow_category(user, found.code),
        {"kind": "category", "target": found.code, "name": found.code},
    )


def _toggle(
    request: HttpRequest,
    page: str,
    follow: Callable[[User], object],
    unfollow: Callable[[User], object],
    context: dict[str, object],
) -> HttpResponse:
    """``action=follow`` (the default) or ``unfollow`` for a signed-in reader, answered
    with the button in its new state (htmx) or a redirect back."""
    want = request.POST.get("action") != "unfollow"
    try:
        (follow if want else unfollow)(cast(User, request.user))
    except follows.FollowRefused as exc:
        return _refused(request, str(exc))
    return _answer(request, page, {**context, "following": want})


@login_required
@require_POST
def unfollow(request: HttpRequest, follow_id: int) -> HttpResponse:
    """Remove one of the reader's follows from their Following page."""
    if follow_id <= MAX_ID:
        follows.unfollow(cast(User, request.user), follow_id)
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # the row is swapped out
    return HttpResponseRedirect(reverse("following"))


@login_required
@require_safe
def following(request: HttpRequest) -> HttpResponse:
    """What the reader follows: authors, categories, and saved searches with their streams."""
    mine = follows.following(cast(User, request.user))
    rows = [(f, author_url(f.author)) for f in mine.authors if f.author is not None]
    context = {"following": mine, "authors": rows}
    return render(request, "community/following.html", context)
