"""Per-row metadata held in numpy arrays: dates, has-code, categories, liveness.

These answer filters for the dense side (as a boolean mask over rows), browsing without a
query, and sorting by date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from papersearch.lexical import NO_DATE, day_number
from papersearch.types import Document, Filters, Mask


@dataclass
class Columns:
    date: npt.NDArray[np.int32]
    has_code: npt.NDArray[np.bool_]
    cat_ptr: npt.NDArray[np.int64]
    cat_codes: npt.NDArray[np.int32]
    vocabulary: list[str]
    alive: npt.NDArray[np.bool_]
    embedded: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    _cat_rows: npt.NDArray[np.int64] | None = field(default=None, repr=False)
    # (live rows, every live row embedded): read by every search, so counted once
    _counts: tuple[int, bool] | None = field(default=None, repr=False)
    _embedded_live: int = field(default=0, repr=False)

    @classmethod
    def empty(cls) -> Columns:
        return cls(
            date=np.zeros(0, np.int32),
            has_code=np.zeros(0, np.bool_),
            cat_ptr=np.zeros(1, np.int64),
            cat_codes=np.zeros(0, np.int32),
            vocabulary=[],
            alive=np.zeros(0, np.bool_),
            embedded=np.zeros(0, np.bool_),
        )

    @classmethod
    def from_arrays(
        cls, static: dict[str, npt.NDArray[Any]], state: dict[str, npt.NDArray[Any]]
    ) -> Columns:
        return cls(
            date=static["date"].astype(np.int32),
            has_code=static["has_code"].astype(np.bool_),
            cat_ptr=static["cat_ptr"].astype(np.int64),
            cat_codes=static["cat_codes"].astype(np.int32),
            vocabulary=[str(v) for v in static["vocabulary"].tolist()],
            alive=state["alive"].astype(np.bool_),
            embedded=(
                static["embedded"].astype(np.bool_)
                if "embedded" in static
                else np.ones(len(static["date"]), np.bool_)
            ),
        )

    def static_arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "date": self.date,
            "has_code": self.has_code,
            "cat_ptr": self.cat_ptr,
            "cat_codes": self.cat_codes,
            "vocabulary": np.asarray(self.vocabulary, dtype=np.str_),
            "embedded": self.embedded,
        }

    def state_arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {"alive": self.alive}

    def copy(self) -> Columns:
        """A copy a writer may change (``append`` makes new arrays; ``retire`` would not)."""
        return Columns(
            date=self.date,
            has_code=self.has_code,
            cat_ptr=self.cat_ptr,
            cat_codes=self.cat_codes,
            vocabulary=list(self.vocabulary),
            alive=self.alive.copy(),
            embedded=self.embedded,
        )

    @property
    def rows(self) -> int:
        return len(self.date)

    def append(
        self,
        docs: Sequence[Document],
        embedded: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        """Add one row per document (alive); ``embedded`` is False for rows with no vector yet."""
        if embedded is None:
            embedded = np.ones(len(docs), dtype=np.bool_)
        self.embedded = np.concatenate([self.embedded, embedded.astype(np.bool_)])
        codes = {code: i for i, code in enumerate(self.vocabulary)}
        flat: list[int] = []
        lengths: list[int] = []
        for doc in docs:
            for code in doc.categories:
                if code not in codes:
                    codes[code] = len(self.vocabulary)
                    self.vocabulary.append(code)
                flat.append(codes[code])
            lengths.append(len(doc.categories))
        dates = np.asarray([day_number(doc.date) for doc in docs], dtype=np.int32)
        self.date = np.concatenate([self.date, dates])
        self.has_code = np.concatenate(
            [self.has_code, np.asarray([doc.has_code for doc in docs], dtype=np.bool_)]
        )
        ptr = self.cat_ptr[-1] + np.cumsum(np.asarray(lengths, dtype=np.int64))
        self.cat_ptr = np.concatenate([self.cat_ptr, ptr])
        self.cat_codes = np.concatenate([self.cat_codes, np.asarray(flat, dtype=np.int32)])
        self.alive = np.concatenate([self.alive, np.ones(len(docs), dtype=np.bool_)])
        self._cat_rows = None
        self._counts = None

    def retire(self, rows: Sequence[int] | npt.NDArray[np.int64]) -> None:
        """Mark rows deleted (or replaced by a newer row)."""
        self.alive[np.asarray(rows, dtype=np.int64)] = False
        self._counts = None

    def _summary(self) -> tuple[int, bool]:
        counts = self._counts
        if counts is None:
            live = int(np.count_nonzero(self.alive))
            embedded = int(np.count_nonzero(self.embedded & self.alive)) if live else 0
            counts = (live, embedded == live)
            self._counts = counts
            self._embedded_live = embedded
        return counts

    @property
    def embedded_share(self) -> float:
        """The share of live rows that have their vector (1.0 for an empty index)."""
        live, everything = self._summary()
        return 1.0 if everything or not live else self._embedded_live / live

    @property
    def live(self) -> int:
        """How many rows are alive."""
        return self._summary()[0]

    @property
    def unembedded_live(self) -> int:
        """How many live rows have no vector yet (counted once per state, as ``live``)."""
        live, everything = self._summary()
        return 0 if everything else live - self._embedded_live

    def _category_mask(self, wanted: Sequence[str]) -> Mask:
        codes = [
            i
            for i, code in enumerate(self.vocabulary)
            if any(code == w or code.startswith(w + ".") for w in wanted)
        ]
        mask = np.zeros(self.rows, dtype=np.bool_)
        if not codes:
            return mask
        if self._cat_rows is None:
            self._cat_rows = np.repeat(np.arange(self.rows, dtype=np.int64), np.diff(self.cat_ptr))
        mask[self._cat_rows[np.isin(self.cat_codes, codes)]] = True
        return mask

    def unembedded_rows(self) -> npt.NDArray[np.int64]:
        """Live rows whose vector is not computed yet (added keyword-first)."""
        return np.flatnonzero(self.alive & ~self.embedded).astype(np.int64)

    def mask(
        self, filters: Filters, categories: Sequence[str] = (), *, dense: bool = False
    ) -> Mask | None:
        """Rows that are alive and pass the filters; ``None`` when that is every row.

        ``dense`` also leaves out rows that have no vector yet.
        """
        live, all_embedded = self._summary()
        everything = live == self.rows and (not dense or all_embedded)
        if filters.is_empty() and not categories and everything:
            return None
        mask = self.alive.copy()
        if dense:
            mask &= self.embedded
        for group in (filters.categories, categories):
            if group:
                mask &= self._category_mask(group)
        if filters.date_from is not None or filters.date_to is not None:
            mask &= self.date != NO_DATE
            if filters.date_from is not None:
                mask &= self.date >= day_number(filters.date_from)
            if filters.date_to is not None:
                mask &= self.date <= day_number(filters.date_to)
        if filters.has_code is not None:
            mask &= self.has_code == filters.has_code
        return mask
