"""Profile pages: a member's submissions, upvotes and comments (community data about an
account, so the community's page)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from dailypapers.accounts.models import Profile, is_moderator

from . import lists
from .models import Comment, DailyEntry

TABS = ("submissions", "upvotes", "comments")
LIMIT = 50


@require_safe
def profile(request: HttpRequest, username: str) -> HttpResponse:
    user_model = get_user_model()
    user = get_object_or_404(user_model, **{user_model.USERNAME_FIELD: username})
    tab = request.GET.get("tab", "submissions")
    if tab not in TABS:
        tab = "submissions"
    context: dict[str, object] = {
        "person": user,
        "tab": tab,
        "tabs": TABS,
        "moderator": is_moderator(request.user),
        "suspended": Profile.objects.filter(user=user, suspended_at__isnull=False).exists(),
    }
    if tab == "submissions":
        context["rows"] = lists.rows(submissions(user.pk), request.user)
    elif tab == "upvotes":
        entries = list(
            DailyEntry.objects.for_list()
            .visible()
            .filter(paper__votes__user=user)
            .order_by("-paper__votes__created_at")[:LIMIT]
        )
        context["rows"] = lists.rows(entries, request.user)
    else:
        context["user_comments"] = list(
            Comment.objects.shown()
            .filter(author=user)
            .select_related("paper")
            .only("id", "body_html", "created_at", "edited_at", "paper__arxiv_id", "paper__title")
            .order_by("-created_at")[:LIMIT]
        )
    return render(request, "accounts/profile.html", context)


def submissions(user_id: int) -> list[DailyEntry]:
    return list(
        DailyEntry.objects.for_list()
        .visible()
        .filter(submitted_by_id=user_id)
        .order_by("-submitted_at")[:LIMIT]
    )
