"""Template filters for text with TeX in it (``{% load tex %}``): see ``catalog.tex``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog import tex as texts

register = template.Library()


@register.filter
def tex(text: str | None) -> SafeString:
    """The whole text as HTML: text commands rendered, formulas left for KaTeX, the rest
    escaped."""
    return mark_safe(texts.tex_html(str(text or "")))  # noqa: S308 (escaped by tex_html)


@register.filter
def tex_excerpt(text: str | None, limit: int = 300) -> SafeString:
    """At most about ``limit`` characters, cut between words outside formulas and text
    commands, as ``tex`` renders them."""
    return mark_safe(texts.tex_excerpt(str(text or ""), int(limit)))  # noqa: S308
