"""``link``: the site's addresses, reversed once and remembered per URL configuration and
script prefix."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import get_script_prefix, path, reverse, set_script_prefix

from dailypapers.core.links import link


def test_link_is_reverse_remembered():
    for args in [("2501.00001",), ("hep-th/9901001",), ("x y?#&",)]:
        assert link("paper", *args) == reverse("paper", args=args)
        assert link("paper", *args) == reverse("paper", args=args)  # and from memory
    assert link("author_by_name") == reverse("author_by_name") == "/authors/by-name"


def test_link_follows_the_script_prefix_and_the_url_configuration():
    assert link("category", "cs.CL") == "/categories/cs.CL"
    before = get_script_prefix()
    set_script_prefix("/papers-site/")
    try:
        assert link("category", "cs.CL") == "/papers-site/categories/cs.CL"
    finally:
        set_script_prefix(before)
    assert link("category", "cs.CL") == "/categories/cs.CL"
    with override_settings(ROOT_URLCONF=__name__):  # another site's addresses
        assert link("category", "cs.CL") == "/c/cs.CL"
    assert link("category", "cs.CL") == "/categories/cs.CL"


def _view(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse(code)


urlpatterns = [path("c/<path:code>", _view, name="category")]
