"""Moderation from the page: POST forms shown to moderators beside each comment, entry and
profile. Each step is audited (see moderation.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar, cast

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

P = ParamSpec("P")
T = TypeVar("T")
_View = Callable[Concatenate[HttpRequest, P], HttpResponse]


def _moderators_only(view: _View[P]) -> _View[P]:
    """A POST from a signed-in moderator; anyone else is refused before anything is looked up."""

    @functools.wraps(view)
    def checked(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not is_moderator(request.user):
            message = "Only moderators can do this."
            return render(request, "community/limited.html", {"message": message}, status=403)
        return view(request, *args, **kwargs)

    return login_required(require_POST(checked))


def _take(
    request: HttpRequest,
    step: moderation.Step[T],
    target: T,
    undo: str,
    said: tuple[str, str],
) -> None:
    """Take ``step`` on ``target``, or undo it when the form's action is ``undo``, with the
    form's reason; ``said`` is what the page then says for each."""
    on = request.POST.get("action") != undo
    reason = request.POST.get("reason", "").strip()[:2000]
    try:
        step(cast(User, request.user), target, on, reason)
    except moderation.NotAModerator as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, said[0] if on else said[1])


@_moderators_only
def moderate_comment(request: HttpRequest, comment_id: int) -> HttpResponse:
    found = get_object_or_404(Comment.objects.select_related("paper"), pk=comment_id)
    said = ("Comment hidden.", "Comment shown again.")
    _take(request, moderation.set_comment_hidden, found, "show", said)
    return HttpResponseRedirect(reverse("paper", args=[found.paper.arxiv_id]) + f"#c{found.pk}")


@_moderators_only
def moderate_entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    found = get_object_or_404(DailyEntry.objects.select_related("paper"), pk=entry_id)
    said = ("Paper unfeatured.", "Paper featured again.")
    _take(request, moderation.set_entry_hidden, found, "refeature", said)
    return HttpResponseRedirect(reverse("paper", args=[found.paper.arxiv_id]))


@_moderators_only
def moderate_user(request: HttpRequest, username: str) -> HttpResponse:
    user_model = get_user_model()
    found = get_object_or_404(user_model, **{user_model.USERNAME_FIELD: username})
    said = (f"{username} suspended.", "Suspension lifted.")
    _take(request, moderation.set_suspended, found, "unsuspend", said)
    return HttpResponseRedirect(reverse("profile", args=[username]))
