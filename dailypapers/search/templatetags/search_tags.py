"""What search adds to other apps' pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from dailypapers.catalog.models import Paper
from dailypapers.search.services import has_vector, similar_papers
from papersearch import Snippet

register = template.Library()


@register.inclusion_tag("search/_similar.html")
def similar_to(paper: Paper, k: int = 6) -> dict[str, Any]:
    """ "Similar papers" for a paper page: the papers nearest in meaning; until the paper has
    its vector, a line that says they will come (``pending``)."""
    similar = similar_papers(paper, k=k)
    return {"similar": similar, "pending": not similar and not has_vector(paper)}


@register.filter
def highlighted(snippet: Snippet) -> SafeString:
    """A snippet as HTML: the text escaped, the query's terms in ``<b>``."""
    return format_html_join(
        "",
        "{}",
        ((format_html("<b>{}</b>", text) if marked else text,) for text, marked in snippet.parts()),
    )
