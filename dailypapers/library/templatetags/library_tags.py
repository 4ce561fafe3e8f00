"""``{% collect_form paper %}``: the paper page's "Add to collection" form."""

from __future__ import annotations

from typing import Any

from django import template

from dailypapers.catalog.models import Paper

from ..models import CollectionItem
from ..services import NAME_MAX, collections_of

register = template.Library()


@register.inclusion_tag("library/_collect.html", takes_context=True)
def collect_form(context: template.Context, paper: Paper) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    if not user.is_authenticated:
        return {}
    collections = list(collections_of(user))
    containing = set(
        CollectionItem.objects.filter(collection__owner=user, paper=paper).values_list(
            "collection_id", flat=True
        )
    )
    return {
        "request": request,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "paper": paper,
        "collections": collections,
        "containing": containing,
        "holding": [c for c in collections if c.pk in containing],
        "name_max": NAME_MAX,
    }
