"""The rankers: functions of a query that return (rows, scores), best first.

``lexical`` and ``dense`` each apply the filters inside their search; ``hybrid`` fuses
their lists. Rows past the committed row count or retired rows (which tantivy may still hold
for a moment after a crash) are dropped, and asked for in advance so a page stays full.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersearch.fusion import fuse, pin_rows
from papersearch.query import ParsedQuery
from papersearch.types import Filters, FloatArray, Mode, RowArray

if TYPE_CHECKING:
    from papersearch.index import SearchIndex

Ranked = tuple[RowArray, FloatArray]

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="papersearch-lexical")


def order_by(rows: RowArray, scores: FloatArray, key: npt.NDArray[np.generic]) -> Ranked:
    """Re-order ranked rows by ``key`` (descending), relevance breaking ties."""
    order = np.lexsort((np.arange(len(rows)), -key[rows].astype(np.float64)))
    return rows[order], scores[order]


class Rankers:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def lexical(
        self, parsed: ParsedQuery, filters: Filters, k: int, *, count: bool = True
    ) -> tuple[Ranked, int]:
        """The lexical top ``k`` and the number of matches (0 without ``count``)."""
        index = self.index
        alive = index.columns.alive
        stale = max(index.lexical.num_docs() - index.columns.live, 0)
        query = index.lexical.build_query(parsed, filters)
        rows, scores, matches = index.lexical.search(query, k + stale, count=count)
        valid = rows < len(alive)
        valid[valid] = alive[rows[valid]]
        return (rows[valid][:k], scores[valid][:k]), max(matches - stale, 0)

    def dense(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        k: int,
        vector: FloatArray | None,
    ) -> Ranked:
        index = self.index
        if vector is None:
            vector = self.query_vector(parsed)
        mask = index.columns.mask(filters, parsed.categories, dense=True)
        check = None
        if parsed.has_constraints:
            constraint = index.lexical.build_query(parsed, Filters(), score=False)

            def check(rows: RowArray) -> RowArray:
                found = index.lexical.matching_rows(constraint, rows.tolist())
                return np.fromiter(found, dtype=np.int64, count=len(found))

        return index.dense.search(vector, k, allowed=mask, check=check)

    def query_vector(self, parsed: ParsedQuery) -> FloatArray:
        if self.index.embedder is None:
            raise ValueError("dense search needs an embedder or a query vector")
        return self.index.embedder.embed_query(parsed.free_text)

    def rank(
        self,
        parsed: ParsedQuery,
        filters: Filters,
        mode: Mode,
        k: int,
        vector: FloatArray | None,
    ) -> tuple[RowArray, FloatArray, int, bool]:
        """Rows and scores (at least ``k`` when that many match), the total and whether it
        is exact."""
        config = self.index.config
        if mode == Mode.LEXICAL:
            (rows, scores), count = self.lexical(parsed, filters, k)
            return rows, scores, count, True
        if mode == Mode.DENSE:
            rows, scores = self.dense(parsed, filters, k, vector)
            return rows, scores, len(rows), False
        pool = max(k, config.pool)
        # The lexical side runs in another thread while this one embeds the query (tantivy
        # and torch both release the GIL). Unfiltered, it does not count its matches:
        # counting visits every posting where the top of the list need not, and the total
        # shown is then an estimate (the hybrid list is ranked by meaning as much as by
        # words anyway). With filters or required phrases the count stays exact.
        plain = filters.is_empty() and not parsed.categories and not parsed.has_constraints
        lexical_side = _POOL.submit(self.lexical, parsed, filters, pool, count=not plain)
        try:
            if vector is None:
                vector = self.query_vector(parsed)
            dense = self.dense(parsed, filters, pool, vector)
        finally:
            lexical, count = lexical_side.result()
        if plain:
            count = self.index.lexical.estimate_matches(parsed.words)
        rows, scores = fuse(
            lexical,
            dense,
            config.fusion,
            k=config.rrf_k,
            dense_weight=config.dense_weight,
            pin=config.strong_margin,
            strong_dense_weight=config.strong_dense_weight,
        )
        verbatim = self.verbatim(parsed, lexical[0])
        if len(verbatim):
            rows, scores = pin_rows((rows, scores), verbatim)
        return rows, scores, max(len(rows), count), False

    def verbatim(self, parsed: ParsedQuery, lexical_rows: RowArray) -> RowArray:
        """Lexical top rows holding the query's words in the query's order (a pasted title
        or sentence): a reader who types that many words in that order means that paper."""
        config = self.index.config
        words = parsed.words
        if config.verbatim_depth <= 0 or len(words) < config.verbatim_words:
            return lexical_rows[:0]
        top = lexical_rows[: config.verbatim_depth]
        phrase = ParsedQuery(phrases=(" ".join(words),))
        query = self.index.lexical.build_query(phrase, Filters(), score=False)
        found = self.index.lexical.matching_rows(query, top.tolist())
        return top[np.isin(top, np.fromiter(found, dtype=np.int64, count=len(found)))]
