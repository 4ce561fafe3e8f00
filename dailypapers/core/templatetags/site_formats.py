"""How the site writes numbers and dates, the same on every page: counts with thousands
separators (``20,000 papers``), dates as ``2 Dec 2026``, day headings as ``Wednesday
2 December 2026`` and moments as ``2 Dec 2026, 14:05``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from html import escape
from urllib.parse import quote

from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import stringfilter
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from dailypapers.core.links import link

register = template.Library()

DAY = "j M Y"
DAY_HEADING = "l j F Y"
MOMENT = "j M Y, H:i"


@register.filter(is_safe=True)
@stringfilter
def clip(value: str, length: int) -> str:
    """``truncatechars`` without its cost where nothing is cut (almost always: a name, a
    title): the text as it is when it has at most ``length`` characters, else
    ``truncatechars``' answer. Cards use it for every author and every button's label."""
    if len(value) <= int(length):
        return value
    return Truncator(value).chars(int(length))


@register.simple_tag
def author_links(names: Sequence[str], limit: int) -> SafeString:
    """The first ``limit`` of ``names``, each a link to the papers listed under that
    name (``?name=``, escaped, at most 120 characters shown), comma-separated, and ", et al."
    when more follow. A card and a search result show one such list each: in Python, where
    an included template cost a tenth of a search page."""
    base = escape(link("author_by_name"))
    links = ", ".join(
        f'<a href="{base}?name={escape(quote(name, safe=""))}">'
        f"<bdi>{escape(clip(name, 120))}</bdi></a>"
        for name in names[: int(limit)]
    )
    if len(names) > int(limit):
        links += ", et al."
    return mark_safe(links)  # noqa: S308 (every part escaped)


@register.filter
def count(value: object) -> str:
    """An integer with thousands separators; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except ValueError:
            return str(value)
    return f"{value:,}"


@register.filter
def day(value: date | datetime | None) -> str:
    """``value|date:"j M Y"`` (``2 Dec 2026``), written directly: every card and search
    result shows one, and Django's date formatter parses its format each time."""
    if not value:
        return ""
    return f"{value.day} {MONTHS_3[value.month].title()} {value.year:04d}"


@register.filter
def day_heading(value: date | datetime | None) -> str:
    return date_filter(value, DAY_HEADING) if value else ""


@register.filter
def moment(value: datetime | None) -> str:
    return date_filter(value, MOMENT) if value else ""
