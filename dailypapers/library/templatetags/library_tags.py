"""``{% collect_form paper %}``: the paper page's "Add to collection" form;
``{% login_to_save paper %}``: a visitor's Save button."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from dailypapers.catalog.models import Paper
from dailypapers.core.templatetags.site_formats import clip

from ..models import CollectionItem
from ..services import NAME_MAX, collections_of

register = template.Library()


def login_to_save_html(login_here: str, title: str) -> SafeString:
    """A visitor's Save button: the log-in page, coming back to this page (``login_here``)."""
    label = escape(f"Log in to save: {clip(title, 80)}")
    return mark_safe(  # noqa: S308 (escaped)
        f'<div class="library-actions">\n  <a class="chip" href="{escape(login_here)}" '
        f'aria-label="{label}"><span aria-hidden="true">☆</span> Save</a>\n</div>'
    )


@register.simple_tag(takes_context=True)
def login_to_save(context: template.Context, paper: Paper) -> SafeString:
    return login_to_save_html(str(context.get("login_here", "")), paper.title)


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
