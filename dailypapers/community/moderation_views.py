"""Moderation from the page: POST forms shown to moderators beside each comment, entry and
profile. Each step is audited (see moderation.py)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from dailypapers.accounts.models import is_moderator

from . import moderation
from .models import Comment, DailyEntry


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request, "community/limited.html", {"message": "Only moderators can do this."}, status=403
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()[:2000]


@login_required
@require_POST
def moderate_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    if not is_moderator(request.user):
        return _forbidden(request)
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    hide = request.POST.get("action") != "show"
    moderation.set_comment_hidden(cast(User, request.user), found, hide, _reason(request))
    messages.success(request, "Comment hidden." if hide else "Comment shown again.")
    return HttpResponseRedirect(reverse("paper", args=[found.paper.arxiv_id]) + f"#c{found.pk}")


@login_required
@require_POST
def moderate_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    if not is_moderator(request.user):
        return _forbidden(request)
    found = get_object_or_404(DailyEntry.objects.select_related("paper"), pk=entry_id)
    hide = request.POST.get("action") != "refeature"
    moderation.set_entry_hidden(cast(User, request.user), found, hide, _reason(request))
    messages.success(request, "Paper unfeatured." if hide else "Paper featured again.")
    return HttpResponseRedirect(reverse("paper", args=[found.paper.arxiv_id]))


@login_required
@require_POST
def moderate_user(request: HttpRequest, username: str) -> HttpResponse:
    if not is_moderator(request.user):
        return _forbidden(request)
    user_model = get_user_model()
    found = get_object_or_404(user_model, **{user_model.USERNAME_FIELD: username})
    suspend = request.POST.get("action") != "unsuspend"
    try:
        moderation.set_suspended(cast(User, request.user), found, suspend, _reason(request))
    except moderation.NotAModerator as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{username} suspended." if suspend else "Suspension lifted.")
    return HttpResponseRedirect(reverse("profile", args=[username]))
