"""The search page's query string, read leniently: a bad field is dropped, never an error."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from .services import SearchRequest, Sort

PER_PAGE = 20
MAX_PAGE = 50
CATEGORY = re.compile(r"^[a-z][a-z-]*(\.[A-Za-z-]+)?$")


class SearchForm(forms.Form):
    q = forms.CharField(required=False, strip=True, label="Search")
    cat = forms.CharField(required=False, label="Categories")
    date_from = forms.DateField(required=False, label="Submitted from")
    date_to = forms.DateField(required=False, label="Submitted until")
    code = forms.BooleanField(required=False, label="Has code")
    sort = forms.ChoiceField(
        required=False,
        choices=[(s.value, s.value.capitalize()) for s in Sort],
        label="Sort by",
    )
    page = forms.IntegerField(required=False, min_value=1)

    def clean_cat(self) -> tuple[str, ...]:
        words = re.split(r"[\s,]+", self.cleaned_data.get("cat") or "")
        return tuple(w for w in words if w and len(w) <= 32 and CATEGORY.match(w))[:10]

    def search_request(self) -> SearchRequest:
        """What to search; fields that did not validate are left out."""
        self.is_valid()
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        page = min(data.get("page") or 1, MAX_PAGE)
        return SearchRequest(
            query=data.get("q") or "",
            categories=data.get("cat") or (),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            has_code=True if data.get("code") else None,
            sort=Sort(data.get("sort") or Sort.RELEVANCE),
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
