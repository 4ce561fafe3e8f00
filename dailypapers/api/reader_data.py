"""``/settings/data``: a signed-in reader downloads their own records as one JSON file."""

from __future__ import annotations

import json
from typing import cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from . import portable


@never_cache
@login_required
@require_safe
def download(request: HttpRequest) -> HttpResponse:
    """Everything of the reader's own (docs/export.md): never a password hash, a token's
    digest, or anyone else's private records."""
    user = cast(User, request.user)
    data = portable.reader_data(user)
    body = json.dumps(data, ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="dailypapers-my-data-{stamp}.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
