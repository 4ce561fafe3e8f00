"""The values the search core takes and returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

# The array shapes the core passes around, named once.
FloatArray = npt.NDArray[np.float32]
"""Vectors and scores."""
RowArray = npt.NDArray[np.int64]
"""Row numbers of the index."""
Mask = npt.NDArray[np.bool_]
"""One flag a row."""
KeyArray = npt.NDArray[np.uint64]
"""64-bit keys of texts (the vector cache's)."""


class Mode(StrEnum):
    """Which rankers answer a query."""

    HYBRID = "hybrid"
    LEXICAL = "lexical"
    DENSE = "dense"


class Sort(StrEnum):
    """The order of a result list.

    ``RELEVANCE`` ranks by the chosen mode. ``DATE`` re-orders the most relevant candidates
    (or, for an empty query, every paper that passes the filters) newest first. Orders by
    what the index does not hold (votes) are the caller's: it asks for the relevance pool
    and orders those ids itself.
    """

    RELEVANCE = "relevance"
    DATE = "date"


@dataclass(frozen=True, slots=True)
class Document:
    """One paper as the index sees it."""

    id: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    date: dt.date | None = None
    has_code: bool = False

    def embedding_text(self) -> str:
        """The text the dense side embeds: title + ". " + abstract."""
        return f"{self.title}. {self.abstract}"


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions applied inside the search, before a page is cut.

    ``categories`` matches a paper that has any of them; a bare group such as ``"cs"``
    matches every ``cs.*`` category. Dates are inclusive. ``exclude`` names papers left out
    (a reader's read, saved or dismissed papers).
    """

    categories: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    has_code: bool | None = None
    exclude: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return (
            not self.categories
            and self.date_from is None
            and self.date_to is None
            and self.has_code is None
            and not self.exclude
        )


@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of a field's text (plain text, not HTML) and where the query's terms occur in
    it, as ``(start, end)`` character offsets, in order and not overlapping."""

    text: str
    spans: tuple[tuple[int, int], ...] = ()

    def parts(self) -> list[tuple[str, bool]]:
        """The text cut into pieces, each with whether it is a matched term."""
        out: list[tuple[str, bool]] = []
        last = 0
        for start, end in self.spans:
            if start > last:
                out.append((self.text[last:start], False))
            out.append((self.text[start:end], True))
            last = end
        if last < len(self.text):
            out.append((self.text[last:], False))
        return out

    def terms(self) -> set[str]:
        """The matched terms, as the text spells them."""
        return {self.text[start:end] for start, end in self.spans}


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the paper id, its score, and snippets of the fields where a query term
    occurs (``"title"``, ``"abstract"``; none for a paper found by meaning alone)."""

    id: str
    score: float
    highlights: dict[str, Snippet] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SearchResults:
    """A page of hits.

    ``total`` counts the candidates found; it is exact for lexical queries and for empty
    queries, and a lower bound otherwise (``total_exact`` says which).
    """

    hits: list[Hit]
    total: int
    total_exact: bool
    mode: Mode
    sort: Sort


@dataclass(frozen=True, slots=True)
class Stats:
    """What an index holds."""

    documents: int
    deleted_rows: int
    ann_rows: int
    tail_rows: int
    model: str
    dim: int
    generation: int
    bytes_on_disk: int
    unembedded: int = 0
    """Live papers found by keywords only, their vectors still to be computed."""
