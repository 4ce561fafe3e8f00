"""The site's URLs and the benchmark's trivial view (see bench/web_settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from dailypapers.urls import urlpatterns as site


@require_safe
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse("hello\n", content_type="text/plain")


urlpatterns = [path("hello", hello), *site]
