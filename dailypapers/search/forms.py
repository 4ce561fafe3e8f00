"""The search page's query string, read leniently: a bad field is dropped, never an error
(a bad ``mode`` is also named on the page, so a reader comparing modes sees it was not used)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from django import forms

from papersearch import Mode

from .services import MAX_QUERY_CHARS, SearchRequest, Sort, clean_query

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
    mode = forms.ChoiceField(
        required=False,
        choices=[(m.value, m.value.capitalize()) for m in (Mode.HYBRID, Mode.LEXICAL, Mode.DENSE)],
        label="Match by",
        help_text="Hybrid: words and meaning; lexical: words only; dense: meaning only.",
        error_messages={
            "invalid_choice": "%(value)s is not a search mode (hybrid, lexical or dense): "
            "these results are hybrid."
        },
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
            mode=Mode(data.get("mode") or Mode.HYBRID),
            offset=(page - 1) * PER_PAGE,
            limit=PER_PAGE,
        )


class SavedSearchRefused(Exception):
    """Why a search cannot be saved, in words for the reader."""


def saved_query(params: Mapping[str, Any]) -> tuple[str, str]:
    """A search to follow: its query string normalised (only the page's own fields, each
    valid and in one spelling, in one order; the page number and anything else dropped) and
    a name for it (the words, or the filters when there are none)."""
    raw = str(params.get("q") or "")
    if "\x00" in raw:
        raise SavedSearchRefused("This search has a character that cannot be saved.")
    length = len(" ".join(raw.split()))
    if length > MAX_QUERY_CHARS:
        raise SavedSearchRefused(
            f"A saved search's words are at most {MAX_QUERY_CHARS} characters (these are {length})."
        )
    words = " ".join(clean_query(raw)[0].split())
    form = SearchForm({k: params.get(k) for k in ("cat", "date_from", "date_to", "code", "sort")})
    form.is_valid()
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    pairs: list[tuple[str, str]] = []
    described: list[str] = []
    if words:
        pairs.append(("q", words))
    categories = sorted(set(data.get("cat") or ()))
    if categories:
        pairs.append(("cat", " ".join(categories)))
        described.append(", ".join(categories))
    for name, text in (("date_from", "from"), ("date_to", "until")):
        if data.get(name):
            pairs.append((name, data[name].isoformat()))
            described.append(f"{text} {data[name].isoformat()}")
    if data.get("code"):
        pairs.append(("code", "on"))
        described.append("with code")
    if data.get("sort") and data["sort"] != Sort.RELEVANCE:
        pairs.append(("sort", data["sort"]))
    if not words and not described:
        raise SavedSearchRefused("Nothing to follow: type some words or choose a filter first.")
    return urlencode(pairs), words or "Papers " + " · ".join(described)
