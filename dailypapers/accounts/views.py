"""A member's API tokens page: make a token (its secret shown once, on the page that answers
the form), see each one's scope, creation and last use, revoke one."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .models import ApiToken
from .tokens import MAX_TOKENS, TokenRefused, create_token, revoke, tokens_of

NAME_MAX = 100


def _member(request: HttpRequest) -> User:
    return cast(User, request.user)


def _page(request: HttpRequest, **context: object) -> HttpResponse:
    status = int(cast(int, context.pop("status", 200)))
    response = render(
        request,
        "accounts/tokens.html",
        {
            "tokens": tokens_of(_member(request)),
            "scopes": ApiToken.Scope.choices,
            "name_max": NAME_MAX,
            "max_tokens": MAX_TOKENS,
            "name": "",
            "scope": ApiToken.Scope.READ,
            **context,
        },
        status=status,
    )
    response["Cache-Control"] = "private, no-store"  # a new token's secret is on it
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """GET lists the member's tokens; POST makes one and shows its secret, this once."""
    if request.method != "POST":
        return _page(request)
    name = request.POST.get("name", "")
    scope = request.POST.get("scope", ApiToken.Scope.READ)
    try:
        token, secret = create_token(_member(request), name, scope)
    except TokenRefused as exc:
        return _page(request, error=str(exc), name=name[:NAME_MAX], status=400)
    return _page(request, created=token, secret=secret)


@login_required
@require_POST
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    if not revoke(_member(request), token_id):
        raise Http404("no such token of yours")
    messages.success(request, "Token revoked: it no longer works.")
    return redirect("accounts:tokens")
