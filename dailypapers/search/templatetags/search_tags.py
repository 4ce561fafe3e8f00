"""What search adds to other apps' pages."""

from __future__ import annotations

from typing import Any

from django import template

from dailypapers.catalog.models import Paper
from dailypapers.search.services import similar_papers

register = template.Library()


@register.inclusion_tag("search/_similar.html")
def similar_to(paper: Paper, k: int = 6) -> dict[str, Any]:
    """ "Similar papers" for a paper page: the papers nearest in meaning (nothing until the
    paper has its vector)."""
    return {"similar": similar_papers(paper, k=k)}
