"""The "For you" page, the feedback buttons on its picks, and the first interests a new
reader gives it (papers they like, authors, a category)."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Author, Category, Paper
from dailypapers.community import lists
from dailypapers.community.fetch import get_or_fetch_paper
from dailypapers.community.ratelimit import Rate, allow, requester
from dailypapers.library import follows
from dailypapers.library import services as library
from dailypapers.library.models import ReaderState
from dailypapers.sources.http import SourceError

from . import foryou

MAX_IDS = 20  # papers pasted at once
MAX_FETCHES = 5  # of them fetched from arXiv when the catalogue lacks them
TRENDING = 10


class FeedbackForm(forms.Form):
    paper = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    value = forms.ChoiceField(choices=[("more", "more"), ("less", "less"), ("clear", "clear")])
    next = forms.CharField(required=False, max_length=2000)


class PapersForm(forms.Form):
    ids = forms.CharField(max_length=5000, label="arXiv ids or links")


class FollowForm(forms.Form):
    author = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    category = forms.CharField(required=False, max_length=32)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if bool(data.get("author")) == bool(data.get("category")):
            raise forms.ValidationError("Choose one author or one category to follow.")
        return data


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _refused(request: HttpRequest, form: forms.Form, status: int = 400) -> HttpResponse:
    problems = [str(e) for errors in form.errors.values() for e in errors]
    text = "That request could not be read: " + " ".join(problems)
    return render(request, "community/limited.html", {"message": text}, status=status)


def _back(request: HttpRequest, target: str = "") -> HttpResponseRedirect:
    default = reverse("search:for_you")
    if not target or not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        target = default
    return HttpResponseRedirect(target)


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and len(text) <= 3 else 1


@require_safe
def for_you(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "search/for_you.html", {"visitor": True})
    user = _member(request)
    partial = request.headers.get("HX-Request") == "true"
    if partial:  # paging within the page is the same visit
        state = ReaderState.objects.filter(user=user).first() or ReaderState(user=user)
    else:
        state = foryou.record_visit(user)
    span = foryou.choose_window(
        request.GET.get("window", "")[:8], state.for_you_previous_at, timezone.now()
    )
    result = foryou.for_you(user, span, _page_number(request.GET.get("page", "")))
    author_query = request.GET.get("author", "")[:200]
    context = {
        "result": result,
        "span": span,
        "windows": [(w.value, label) for w, label in foryou.WINDOW_LABELS.items()],
        "has_previous": state.for_you_previous_at is not None,
        "author_query": "".join(ch for ch in author_query if ch.isprintable()),
        "authors": foryou.find_authors(author_query),
        "categories": Category.objects.order_by("code"),
        "first": (result.page - 1) * foryou.PER_PAGE + 1,
        "back": request.get_full_path(),
        "has_feed": foryou.has_feed(state),
    }
    if result.cold:
        context["rows"] = lists.rows(lists.trending_entries(TRENDING), user)
    template = "search/for_you.html#picks" if partial else "search/for_you.html"
    return render(request, template, context)


@login_required
@require_POST
def feedback(request: HttpRequest) -> HttpResponse:
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    paper = get_object_or_404(Paper, pk=form.cleaned_data["paper"])
    value = form.cleaned_data["value"]
    foryou.give_feedback(_member(request), paper, value)
    if request.headers.get("HX-Request") == "true":
        if value == "less":
            return render(request, "search/_pick_hidden.html", {"paper": paper})
        context = {"paper": paper, "more": value == "more", "back": reverse("search:for_you")}
        return render(request, "search/_pick_actions.html", context)
    title = paper.title[:120]
    if value == "less":
        messages.success(request, f"Not interested in “{title}”: it will not come back.")
    elif value == "more":
        messages.success(request, f"More like “{title}” from your next visit.")
    else:
        messages.success(request, f"Your word on “{title}” is taken back.")
    return _back(request, form.cleaned_data["next"])


@login_required
@require_POST
def add_papers(request: HttpRequest) -> HttpResponse:
    """Papers the reader likes, pasted as ids or links: saved to their reading list. Limited
    as submissions are (``RATE_SUBMIT``): papers the catalogue lacks are fetched from arXiv."""
    if not allow("for-you-papers", requester(request), settings.RATE_SUBMIT):
        rate = Rate.parse(settings.RATE_SUBMIT).describe()
        message = f"Too many requests: at most {rate}. Please wait a little."
        return render(request, "community/limited.html", {"message": message}, status=429)
    form = PapersForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    words = [w for w in re.split(r"[\s,;]+", form.cleaned_data["ids"]) if w]
    if len(words) > MAX_IDS:
        message = f"At most {MAX_IDS} papers at a time, please."
        return render(request, "community/limited.html", {"message": message}, status=400)
    ids: list[str] = []
    for word in words:
        try:
            parsed = parse_arxiv_id(word).id
        except InvalidArxivId as exc:
            messages.error(request, f"{exc}.")
            continue
        if parsed not in ids:
            ids.append(parsed)
    known = Paper.objects.in_bulk(ids, field_name="arxiv_id")
    found = [known[i] for i in ids if i in known]
    missing = [i for i in ids if i not in known]
    unknown: list[str] = []
    unreachable: list[str] = []
    for arxiv_id in missing[:MAX_FETCHES]:
        try:
            paper = get_or_fetch_paper(arxiv_id)
        except SourceError:
            unreachable.append(arxiv_id)
            continue
        if paper is None:
            unknown.append(arxiv_id)
        else:
            found.append(paper)
    unknown += missing[MAX_FETCHES:]
    if unreachable:
        messages.error(
            request,
            "arXiv could not be reached for " + ", ".join(unreachable) + ": try again later.",
        )
    if unknown:
        messages.error(
            request,
            "Not found in the catalogue or on arXiv: " + ", ".join(unknown[:MAX_IDS]) + ".",
        )
    if found:
        user = _member(request)
        added = sum(library.save(user, paper) for paper in found)
        messages.success(
            request,
            f"Saved {added} paper{'s' if added != 1 else ''} to your reading list."
            if added
            else "Those papers are already on your reading list.",
        )
    return _back(request)


@login_required
@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    """Follow an author or a category from the page."""
    form = FollowForm(request.POST)
    if not form.is_valid():
        return _refused(request, form)
    user = _member(request)
    if form.cleaned_data.get("author"):
        author = get_object_or_404(Author, pk=form.cleaned_data["author"])
        try:
            follows.follow_author(user, author.pk)
        except follows.FollowRefused as exc:
            return _message(request, str(exc))
        messages.success(request, f"You follow {author.name}: their new papers are picks.")
    else:
        code = form.cleaned_data["category"]
        category = Category.objects.filter(code=code).first()
        if category is None:
            return _message(request, "There is no such category: choose one from the list.")
        try:
            follows.follow_category(user, category.code)
        except follows.FollowRefused as exc:
            return _message(request, str(exc))
        messages.success(request, f"You follow {category.code}: its new papers are picks.")
    return _back(request)


@login_required
@require_POST
def feed_address(request: HttpRequest) -> HttpResponse:
    """A new private address for the reader's picks as a feed (``action=reset``; the old
    address stops working) or none at all (``action=stop``). The address is shown on this
    answer only: what is kept is a digest of its secret."""
    user = _member(request)
    if request.POST.get("action") == "stop":
        foryou.stop_feed(user)
        messages.success(request, "Your private feed is off: its address answers no more.")
        return _back(request)
    secret = foryou.new_feed_secret(user)
    context = {
        "rss": request.build_absolute_uri(reverse("search:for_you_feed_rss", args=[secret])),
        "atom": request.build_absolute_uri(reverse("search:for_you_feed_atom", args=[secret])),
    }
    response = render(request, "search/for_you_feed.html", context)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _message(request: HttpRequest, text: str) -> HttpResponse:
    """A refusal in words, with the page's status (400)."""
    return render(request, "community/limited.html", {"message": text}, status=400)
