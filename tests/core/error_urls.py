"""The site's URLs, plus two views that fail on purpose (a refusal and a crash), for the error
page tests."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from dailypapers.urls import handler500
from dailypapers.urls import urlpatterns as site_urlpatterns


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("members only")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [path("test/refuse", refuse), path("test/crash", crash), *site_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
