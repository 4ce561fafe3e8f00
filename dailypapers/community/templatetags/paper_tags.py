"""Filters for the paper page: text with its addresses made links, a plain-text summary for
link previews."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog.text import readable_text
from dailypapers.community.markup import linkify_html as linkify_rendered
from dailypapers.community.markup import linkify_text

register = template.Library()

PREVIEW_CHARS = 300


@register.filter(is_safe=True)
def linkify(text: str | None) -> SafeString:
    """Plain text (with TeX) as escaped HTML, its web addresses links (``rel="nofollow
    noopener ugc"``), line breaks kept, formulas untouched."""
    return mark_safe(linkify_text(text or "").replace("\n", "<br>\n"))  # noqa: S308 (escaped)


@register.filter(is_safe=True)
def linkify_html(html: str | None) -> SafeString:
    """HTML made by our filters (``tex``) with the web addresses in its text made links, never
    inside a link or code."""
    return mark_safe(linkify_rendered(str(html or "")))  # noqa: S308 (text parts re-escaped)


@register.filter
def preview_text(text: str | None, limit: int = PREVIEW_CHARS) -> str:
    """The start of a text as one line of readable words (TeX made plain), cut between words,
    for a link preview's description."""
    words = readable_text(text or "")
    if len(words) <= limit:
        return words
    cut = words[: limit + 1].rsplit(" ", 1)[0] if " " in words[:limit] else words[:limit]
    return cut.rstrip(" ,;:") + "…"
