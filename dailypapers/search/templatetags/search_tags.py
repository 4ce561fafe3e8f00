"""What search adds to other apps' pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog import tex
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
def highlighted(snippet: Snippet, whole: str | None = None) -> SafeString:
    """A snippet as HTML: the text escaped, the query's terms in ``<b>``, text commands
    rendered and formulas left whole for KaTeX (a term inside a formula marks the whole
    formula). With the field's ``whole`` text, a snippet cut inside a formula or a text
    command is widened to take it in whole."""
    text, marks = snippet.text, list(snippet.spans)
    at = whole.find(text) if whole and text else -1
    if whole and at >= 0:
        start, end = tex.widen(whole, at, at + len(text))
        text = whole[start:end]
        marks = [(s + at - start, e + at - start) for s, e in marks]
    return mark_safe(tex.tex_html(text, marks))  # noqa: S308 (tex_html escapes)
