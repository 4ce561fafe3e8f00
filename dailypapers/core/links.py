"""Addresses of the site's pages, made once: ``link("paper", arxiv_id)`` is ``reverse("paper",
args=[arxiv_id])``, remembered per URL configuration and script prefix. A list page makes
the same few addresses for every card (the category's, the author search's); reversing each
anew was a tenth of the search page's time."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


def link(name: str, *args: str) -> str:
    """``reverse(name, args=args)``, remembered."""
    return _reverse(get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), name, args)


@lru_cache(maxsize=20_000)
def _reverse(urlconf: str, prefix: str, name: str, args: tuple[str, ...]) -> str:
    # reverse() reads the script prefix itself: it is in the key so that a cached address
    # is only given back under the prefix it was made with
    return reverse(name, urlconf=urlconf, args=args)
