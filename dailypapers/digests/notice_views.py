"""The page behind a reply mail's turn-off link: GET asks, POST (a click on the page, or a
mail client's RFC 8058 one-click request, with no cookies) turns reply mails off."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import notices

PAGE = "digests/notices_off.html"


@csrf_exempt  # RFC 8058: the one-click POST comes from the mail client, without a token
@require_http_methods(["GET", "HEAD", "POST"])
def notices_off(request: HttpRequest, signed: str) -> HttpResponse:
    user = notices.unsign(signed)
    if user is None:
        return render(request, PAGE, {"state": "invalid"}, status=400)
    if request.method == "POST":
        notices.turn_off(user)
        return render(request, PAGE, {"state": "off"})
    state = "ask" if notices.wants_replies(user) else "already"
    return render(request, PAGE, {"state": state, "signed": signed})
