"""``library`` in every template: the reader's saved and read papers, read from the database
only when a template asks (``paper.pk in library.saved``), at most once a request.

A visitor's is empty without a query, so the pages cached for visitors carry no one's state."""

from __future__ import annotations

from django.http import HttpRequest

from .services import ReaderLibrary, for_request


def library(request: HttpRequest) -> dict[str, ReaderLibrary]:
    return {"library": for_request(request)}
