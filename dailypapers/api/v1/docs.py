"""``/api/docs``: Swagger UI for the ``/api/v1`` schema, from the site's own static files
(django-ninja's bundle), under the site's Content-Security-Policy: the page loads its
script and style files from ``/static/`` and keeps its settings in a JSON block, so it
needs no inline script and no other origin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from ninja.openapi.docs import Swagger

from .base import v1

SWAGGER = Swagger(settings={"tryItOutEnabled": False})


@require_safe
def docs(request: HttpRequest) -> HttpResponse:
    return SWAGGER.render_page(request, v1)
