"""Pages of the community: the daily feed, weeks, months, trending, papers, submit, votes,
comments and moderation. Each view loads, calls one domain function and renders."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from dailypapers.accounts.models import is_moderator
from dailypapers.catalog.ids import InvalidArxivId, parse_arxiv_id
from dailypapers.catalog.models import Paper
from dailypapers.library.services import for_request
from dailypapers.sources.http import SourceError

from . import browse, calendar, lists
from .comments import CommentRefused, can_edit, delete_comment, edit_comment, post_comment, thread
from .fetch import get_or_fetch_paper
from .forms import CommentForm, LinksForm
from .links import can_set_links, may_set_links, set_links, shown_links
from .markdown import paper_markdown
from .models import Comment, DailyEntry
from .pagecache import for_visitors
from .ratelimit import Rate, allow, requester
from .submissions import SubmissionRefused, today
from .submissions import submit as submit_paper
from .votes import VoteRefused, toggle_vote, voted_paper_ids


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _limited(request: HttpRequest, scope: str, rate: str) -> HttpResponse | None:
    """A 429 page when the user (or, for a visitor, the address) went over the rate."""
    if allow(scope, requester(request), rate):
        return None
    text = f"Too many requests: at most {Rate.parse(rate).describe()}. Please wait a little."
    return render(request, "community/limited.html", {"message": text}, status=429)


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = default
    return HttpResponseRedirect(target)


def _parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Http404("not a date") from None


@require_safe
@for_visitors
def home(request: HttpRequest) -> HttpResponse:
    """Today's papers, or the latest day's when none are featured yet today."""
    day = today()
    entries = lists.day_entries(day)
    if not entries:
        latest = lists.latest_day(day)
        if latest is None:
            context: dict[str, object] = {"day": day, "rows": [], "home": True, "is_today": True}
            context["catalogue_empty"] = not Paper.objects.exists()
            if not context["catalogue_empty"]:
                context.update(_newest(request, day))
            return render(request, "community/daily.html", context)
        day, entries = latest, lists.day_entries(latest)
    return _daily(request, day, entries, home=True)


@require_safe
@for_visitors
def daily(request: HttpRequest, day: str) -> HttpResponse:
    shown = _parse_day(day)
    return _daily(request, shown, lists.day_entries(shown))


def _daily(
    request: HttpRequest, day: date, entries: list[DailyEntry], *, home: bool = False
) -> HttpResponse:
    before, after = lists.neighbour_days(day)
    entries, hidden = lists.without_hidden(entries, for_request(request).hidden)
    context = {
        "day": day,
        "rows": lists.rows(entries, request.user),
        "hidden_count": hidden,
        "before": before,
        "after": after,
        "week": calendar.week_of(day),
        "month": calendar.month_of(day),
        "home": home,
        "is_today": day == today(),
        "future": day > today(),
        "weekend": day.weekday() >= 5,
    }
    if not entries and not hidden:
        context.update(_newest(request, day))
    return render(request, "community/daily.html", context)


def _newest(request: HttpRequest, day: date) -> dict[str, object]:
    """What a day with nothing featured shows instead: the newest papers of the configured
    categories first submitted up to that day, under their own heading."""
    codes = list(settings.ARXIV_CATEGORIES)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), time()))
    papers, in_categories = browse.newest_before(codes, end)
    heading = f"Newest in {', '.join(codes)}" if in_categories else "Newest papers"
    return {"newest": browse.cards(papers, request.user), "newest_heading": heading}


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "1")
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return 1
    return max(1, int(text))


def _span_context(request: HttpRequest, span: calendar.Span) -> dict[str, object]:
    return {
        "span": span,
        "before": calendar.shift(span, -1),
        "after": calendar.shift(span, 1),
        "future": span.first > today(),
    }


@require_safe
@for_visitors
def week(request: HttpRequest, slug: str) -> HttpResponse:
    """A week, day by day: each day's most upvoted papers under its heading."""
    span = calendar.week(slug)
    if span is None:
        raise Http404("no such week")
    groups, hidden = lists.week_groups(span, request.user, for_request(request).hidden)
    context = {**_span_context(request, span), "days": groups, "hidden_count": hidden}
    context["per_day"] = lists.WEEK_DAY_LIMIT
    return render(request, "community/span.html", context)


@require_safe
@for_visitors
def month(request: HttpRequest, slug: str) -> HttpResponse:
    """A month's papers by votes, a page at a time."""
    span = calendar.month(slug)
    if span is None:
        raise Http404("no such month")
    hide = for_request(request).hidden
    page = lists.month_page(span, request.user, _page_number(request), hide)
    context = {**_span_context(request, span), "page": page, "rows": page.rows}
    context["hidden_count"] = page.hidden
    return render(request, "community/span.html", context)


@require_safe
@for_visitors
def trending(request: HttpRequest) -> HttpResponse:
    hide = for_request(request).hidden
    limit = lists.TRENDING_LIMIT
    entries, hidden = lists.without_hidden(lists.trending_entries(limit + len(hide)), hide, limit)
    context = {"rows": lists.rows(entries, request.user), "hidden_count": hidden}
    return render(request, "community/trending.html", context)


MARKDOWN = "text/markdown"


@require_safe
def paper(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The paper page; as Markdown at ``/papers/{id}.md`` or when asked for ``text/markdown``."""
    if arxiv_id.endswith(".md"):
        return _paper_markdown(request, arxiv_id[:-3])
    if request.get_preferred_type(["text/html", MARKDOWN]) == MARKDOWN:
        response = _paper_markdown(request, arxiv_id)
    else:
        response = _paper_page(request, arxiv_id)
    patch_vary_headers(response, ["Accept"])
    return response


@for_visitors
def _paper_page(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    try:
        parsed = parse_arxiv_id(arxiv_id)
    except InvalidArxivId:
        raise Http404("not an arXiv id") from None
    if parsed.id != arxiv_id:
        return redirect("paper", arxiv_id=parsed.id, permanent=True)
    try:
        found = get_or_fetch_paper(parsed.id)
    except SourceError:
        return render(request, "community/unreachable.html", {"arxiv_id": parsed.id}, status=503)
    if found is None:
        raise Http404("arXiv has no such paper")
    entry = DailyEntry.objects.filter(paper=found).select_related("submitted_by").first()
    if entry is not None:
        entry.paper = found
    moderator = is_moderator(request.user)
    context = {
        "paper": found,
        "entry": entry,
        "voted": bool(voted_paper_ids(request.user, [found.pk])),
        "comments": thread(found, everything=moderator, reader_id=request.user.pk),
        "moderator": moderator,
        "links": shown_links(found),
        "page_url": settings.SITE_URL + reverse("paper", args=[found.arxiv_id]),
        "can_set_links": may_set_links(request.user, entry, moderator),
    }
    return render(request, "community/paper.html", context)


def _text(body: str, status: int, content_type: str = "text/plain") -> HttpResponse:
    return HttpResponse(body, status=status, content_type=f"{content_type}; charset=utf-8")


def _paper_markdown(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    """The paper as Markdown (any id form the page takes, a version suffix too; no redirect):
    what the page shows, with the comments every reader sees."""
    try:
        found = get_or_fetch_paper(arxiv_id)
    except InvalidArxivId:
        return _text("Paper not found\n", 404)
    except SourceError:
        return _text("arXiv could not be reached to look this paper up; try again soon.\n", 503)
    if found is None:
        return _text("Paper not found\n", 404)
    entry = DailyEntry.objects.filter(paper=found).select_related("submitted_by").first()
    url = request.build_absolute_uri(reverse("paper", args=[found.arxiv_id]))
    return _text(paper_markdown(found, entry, thread(found), url), 200, MARKDOWN)


@login_required
def submit(request: HttpRequest) -> HttpResponse:
    error = ""
    value = request.GET.get("id", "")
    comment = ""
    if request.method == "POST":
        value = request.POST.get("id", "")
        comment = request.POST.get("comment", "")
        limited = _limited(request, "submit", settings.RATE_SUBMIT)
        if limited:
            return limited
        try:
            entry = submit_paper(value, by=_member(request), comment=comment)
        except SubmissionRefused as exc:
            error = str(exc)
        else:
            messages.success(request, f"Thank you: {entry.paper.arxiv_id} is in today's papers.")
            return redirect("paper", arxiv_id=entry.paper.arxiv_id)
    return render(
        request,
        "community/submit.html",
        {"error": error, "value": value, "comment": comment, "settings": settings},
        status=400 if error else 200,
    )


@login_required
def paper_links(request: HttpRequest, paper_id: int) -> HttpResponse:
    """The "edit links" form: the paper's submitter or a moderator sets its code repository
    and project page."""
    found = get_object_or_404(Paper, pk=paper_id)
    if not can_set_links(request.user, found):
        return render(
            request,
            "community/limited.html",
            {
                "message": "Only the member who submitted this paper, or a moderator, can set "
                "its links."
            },
            status=403,
        )
    shown = shown_links(found)
    form = LinksForm(initial={"code_url": shown.code_url, "project_url": shown.project_url})
    if request.method == "POST":
        form = LinksForm(request.POST)
        if form.is_valid():
            set_links(
                _member(request),
                found,
                form.cleaned_data["code_url"],
                form.cleaned_data["project_url"],
            )
            messages.success(request, "The links were saved.")
            return redirect("paper", arxiv_id=found.arxiv_id)
    return render(
        request,
        "community/links.html",
        {"paper": found, "form": form},
        status=400 if form.is_bound else 200,
    )


@require_POST
def vote(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(DailyEntry.objects.select_related("paper"), pk=entry_id)
    paper_url = reverse("paper", args=[entry.paper.arxiv_id])
    if not request.user.is_authenticated:
        login = f"{reverse('account_login')}?next={paper_url}"
        if request.headers.get("HX-Request"):
            return HttpResponse(status=204, headers={"HX-Redirect": login})
        return HttpResponseRedirect(login)
    limited = _limited(request, "vote", settings.RATE_VOTE)
    if limited:
        return limited
    up = {"up": True, "down": False}.get(request.POST.get("direction", ""))
    try:
        voted = toggle_vote(_member(request), entry, up=up)
    except VoteRefused as exc:
        return render(request, "community/limited.html", {"message": str(exc)}, status=exc.status)
    if request.headers.get("HX-Request"):
        return render(request, "community/_vote.html", {"entry": entry, "voted": voted})
    return _back(request, paper_url)


@login_required
@require_POST
def comment(request: HttpRequest, paper_id: int) -> HttpResponse:
    found = get_object_or_404(Paper, pk=paper_id)
    url = reverse("paper", args=[found.arxiv_id])
    limited = _limited(request, "comment", settings.RATE_COMMENT)
    if limited:
        return limited
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.problem())
        return HttpResponseRedirect(url)
    parent = None
    if form.cleaned_data["parent"]:
        parent = get_object_or_404(Comment, pk=form.cleaned_data["parent"], paper=found)
    try:
        made = post_comment(_member(request), found, form.cleaned_data["body"], parent)
    except CommentRefused as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(url)
    return HttpResponseRedirect(f"{url}#c{made.pk}")


@login_required
def edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    if not can_edit(_member(request), found):
        return render(
            request,
            "community/limited.html",
            {"message": "You can only edit your own comments."},
            status=403,
        )
    error = ""
    if request.method == "POST":
        form = CommentForm(request.POST)
        try:
            if not form.is_valid():
                raise CommentRefused(form.problem())
            edit_comment(_member(request), found, form.cleaned_data["body"])
        except CommentRefused as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(
                reverse("paper", args=[found.paper.arxiv_id]) + f"#c{found.pk}"
            )
    return render(request, "community/edit.html", {"comment": found, "error": error})


@login_required
@require_POST
def delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    try:
        delete_comment(_member(request), found)
    except CommentRefused as exc:
        return render(request, "community/limited.html", {"message": str(exc)}, status=403)
    messages.success(request, "Your comment was deleted.")
    return HttpResponseRedirect(reverse("paper", args=[found.paper.arxiv_id]))


@require_safe
def week_of_day(request: HttpRequest) -> HttpResponse:
    return redirect("week", slug=calendar.week_of(today()).slug)


@require_safe
def month_of_day(request: HttpRequest) -> HttpResponse:
    return redirect("month", slug=calendar.month_of(today()).slug)
