"""The subscribing pages: the subscribe box's target, confirming, the manage page reached from
every mail, one-click unsubscribe, and a member's email settings. The rules are in
``services``; each view loads, calls one of them and renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from csp.decorators import csp_exempt
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from dailypapers.community.ratelimit import Rate, allow

from . import links, services
from .forms import MemberOptionsForm, OptionsForm, SubscribeForm
from .models import Subscription

# The preview shows the HTML part as it will be sent, inline styles included, in a frame of
# its own: a document with a policy of its own (styles inline, nothing else: no script, no
# request, no form; sandboxed), framed by this site's pages only. The pages around it keep the
# site's strict policy.
MAIL_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox allow-popups "
    "allow-popups-to-escape-sandbox"
)


def _mail_document(sub: Subscription | None) -> HttpResponse:
    issue = services.preview(sub).issue if sub is not None else None
    if issue is None:
        return HttpResponse("Nothing new yet.", status=404, content_type="text/plain")
    response = HttpResponse(issue.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = MAIL_POLICY
    response["Cache-Control"] = "private, no-store"
    return response


def _framed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A document this site's pages frame, under its own policy."""
    return cast(Callable[..., HttpResponse], xframe_options_sameorigin(csp_exempt()(view)))


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/invalid.html", status=404)


@csrf_exempt  # the box sits on pages cached for every visitor, without a token; it can
# do no more than mail a confirmation, which anyone could ask for anyway
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "digests/subscribe.html", {"form": SubscribeForm()})
    if not allow("digest-subscribe", request.META["REMOTE_ADDR"], settings.RATE_SUBSCRIBE):
        text = (
            "Too many subscriptions from here: at most "
            f"{Rate.parse(settings.RATE_SUBSCRIBE).describe()}. Please wait a little."
        )
        return render(request, "community/limited.html", {"message": text}, status=429)
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return render(request, "digests/subscribe.html", {"form": form}, status=400)
    services.subscribe(form.cleaned_data["email"], form.cleaned_data["frequency"])
    return redirect("digests:check_inbox")


@require_safe
def check_inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "digests/check_inbox.html")


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners fetch links); POST confirms."""
    sub = services.by_confirm_token(token)
    if sub is None:
        return _invalid(request)
    if request.method == "POST":
        services.confirm(sub)
        return render(
            request, "digests/confirmed.html", {"sub": sub, "manage_url": _manage_path(sub)}
        )
    return render(request, "digests/confirm.html", {"sub": sub})


def _manage_path(sub: Subscription) -> str:
    return links.MANAGE_PATH.format(signed=links.sign(sub))


def _preview_context(sub: Subscription | None, frame: str) -> dict[str, Any]:
    if sub is None or sub.unsubscribed_at is not None:
        return {}
    return {"preview": services.preview(sub), "preview_frame": frame}


@require_http_methods(["GET", "HEAD", "POST"])
def manage(request: HttpRequest, signed: str) -> HttpResponse:
    """No log-in: the signed link came in the reader's mail."""
    sub = links.unsign(signed)
    if sub is None:
        return _invalid(request)
    form = OptionsForm.for_subscription(sub)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "save":
            form = OptionsForm(request.POST)
            if form.is_valid():
                services.change(sub, form.options(personal_picks=sub.personal_picks))
                messages.success(request, "Saved.")
                return redirect(request.path)
            status = 400
        elif action in ACTIONS:
            messages.success(request, ACTIONS[action](sub))
            return redirect(request.path)
        else:
            status = 400
    context = {
        "sub": sub,
        "form": form,
        "unsubscribe_url": links.UNSUBSCRIBE_PATH.format(signed=links.sign(sub)),
        "bounced": services.is_bounce_pause(sub),
        **_preview_context(sub, f"{request.path}/preview"),
    }
    return render(request, "digests/manage.html", context, status=status)


def _pause(sub: Subscription) -> str:
    services.pause(sub)
    return "Paused: no digests until you resume."


def _resume(sub: Subscription) -> str:
    services.resume(sub)
    return "Resumed: the next digest comes at your chosen hour."


def _leave(sub: Subscription) -> str:
    services.unsubscribe(sub)
    return "You are unsubscribed."


def _resubscribe(sub: Subscription) -> str:
    services.resubscribe(sub)
    if sub.confirmed_at is None:
        return "Check your inbox: we sent a link to confirm your address."
    return "Welcome back: the next digest comes at your chosen hour."


ACTIONS = {"pause": _pause, "resume": _resume, "leave": _leave, "resubscribe": _resubscribe}


@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click", with no cookie
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    sub = links.unsign(signed)
    if sub is None:
        return _invalid(request)
    if request.method == "POST":
        services.unsubscribe(sub)
        return render(
            request, "digests/unsubscribed.html", {"sub": sub, "manage_url": _manage_path(sub)}
        )
    return render(request, "digests/unsubscribe.html", {"sub": sub})


@_framed
@require_safe
def manage_preview(request: HttpRequest, signed: str) -> HttpResponse:
    """The next issue's HTML part, for the manage page's frame."""
    sub = links.unsign(signed)
    if sub is None or sub.unsubscribed_at is not None:
        return _mail_document(None)
    return _mail_document(sub)


@login_required
@_framed
@require_safe
def settings_preview(request: HttpRequest) -> HttpResponse:
    """The next issue's HTML part, for the settings page's frame."""
    sub = services.member_subscription(cast(AbstractBaseUser, request.user))
    active = sub is not None and sub.confirmed_at is not None and sub.unsubscribed_at is None
    return _mail_document(sub if active else None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """A member's digest (for their verified primary address) and reply mails."""
    user = cast(AbstractBaseUser, request.user)
    address = services.verified_address(user)
    sub = services.member_subscription(user)
    active = sub is not None and sub.confirmed_at is not None and sub.unsubscribed_at is None
    form = MemberOptionsForm.for_subscription(sub if active else None)
    pref = services.mail_preference(user)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action in {"subscribe", "save"} and address is not None:
            form = MemberOptionsForm(request.POST)
            if form.is_valid():
                options = form.options()
                if action == "subscribe" or not active or sub is None:
                    services.subscribe_member(user, options)
                    messages.success(request, "Subscribed: the first digest comes at your hour.")
                else:
                    services.change(sub, options)
                    messages.success(request, "Saved.")
                return redirect("digests:settings")
            status = 400
        elif action in ACTIONS and active and sub is not None:
            messages.success(request, ACTIONS[action](sub))
            return redirect("digests:settings")
        elif action == "replies":
            services.set_replies(user, request.POST.get("replies") == "on")
            messages.success(request, "Saved.")
            return redirect("digests:settings")
        else:
            status = 400
    context = {
        "address": address,
        "sub": sub if active else None,
        "form": form,
        "pref": pref,
        "bounced": active and sub is not None and services.is_bounce_pause(sub),
        **_preview_context(sub if active else None, reverse("digests:settings_preview")),
    }
    return render(request, "digests/settings.html", context, status=status)
