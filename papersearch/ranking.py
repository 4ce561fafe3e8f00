"""The rankers: functions of (generation, query, filters, k) that return (rows, scores), best
first.

``lexical`` and ``dense`` each apply the filters inside their search; ``hybrid`` fuses
their lists. Rows past the committed row count or retired rows (which tantivy may still hold
for a moment after a crash) are dropped, and asked for in advance so a page stays full.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersearch.fusion import fuse, pin_rows
from papersearch.query import ParsedQuery
from papersearch.types import Filters, FloatArray, Mask, RowArray

if TYPE_CHECKING:
    from papersearch.generation import Generation
    from papersearch.index import IndexConfig

Ranked = tuple[RowArray, FloatArray]

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="papersearch-lexical")


def order_by(rows: RowArray, scores: FloatArray, key: npt.NDArray[np.generic]) -> Ranked:
    """Re-order ranked rows by ``key`` (descending), relevance breaking ties."""
    order = np.lexsort((np.arange(len(rows)), -key[rows].astype(np.float64)))
    return rows[order], scores[order]


def excluded_rows(gen: Generation, filters: Filters) -> RowArray:
    """The live rows of the papers ``filters`` excludes."""
    if not filters.exclude:
        return np.zeros(0, dtype=np.int64)
    rows = gen.rows_of(sorted(filters.exclude))
    return rows[rows >= 0]


def allowed_rows(
    gen: Generation, filters: Filters, categories: Sequence[str] = (), *, dense: bool = False
) -> Mask | None:
    """The rows that pass the filters, exclusions included; ``None`` when that is every row."""
    mask = gen.columns.mask(filters, categories, dense=dense)
    excluded = excluded_rows(gen, filters)
    if len(excluded):
        if mask is None:  # pragma: no cover - a non-empty exclusion always yields a mask
            mask = gen.columns.alive.copy()
        mask[excluded] = False
    return mask


def lexical(
    gen: Generation, parsed: ParsedQuery, filters: Filters, k: int, *, count: bool = True
) -> tuple[Ranked, int]:
    """The lexical top ``k`` and the number of matches (0 without ``count``)."""
    alive = gen.columns.alive
    stale = max(gen.lexical.num_docs() - gen.columns.live, 0)
    query = gen.lexical.build_query(parsed, filters, want=k)
    excluded = excluded_rows(gen, filters)
    if len(excluded):
        query = gen.lexical.without_rows(query, excluded.tolist())
    rows, scores, matches = gen.lexical.search(query, k + stale, count=count)
    valid = rows < len(alive)
    valid[valid] = alive[rows[valid]]
    return (rows[valid][:k], scores[valid][:k]), max(matches - stale, 0)


def dense(
    gen: Generation, parsed: ParsedQuery, filters: Filters, k: int, vector: FloatArray
) -> Ranked:
    """The ``k`` rows nearest to ``vector`` that pass the filters and the query's required
    phrases, exclusions and authors."""
    mask = allowed_rows(gen, filters, parsed.categories, dense=True)
    check = None
    if parsed.has_constraints:
        constraint = gen.lexical.build_query(parsed, Filters(), score=False)

        def check(rows: RowArray) -> RowArray:
            found = gen.lexical.matching_rows(constraint, rows.tolist())
            return np.fromiter(found, dtype=np.int64, count=len(found))

    return gen.dense.search(vector, k, allowed=mask, check=check)


def hybrid(
    gen: Generation,
    parsed: ParsedQuery,
    filters: Filters,
    k: int,
    *,
    vector: Callable[[], FloatArray],
    config: IndexConfig,
    floor: float = 0.0,
) -> tuple[RowArray, FloatArray, int]:
    """Both sides fused: rows and scores (at least ``k`` when that many match) and an
    estimate of the total. ``vector`` gives the query's vector (called while the lexical side
    runs); papers found by meaning alone under ``floor`` are left out."""
    pool = max(k, config.pool)
    # The lexical side runs in another thread while this one embeds the query (tantivy
    # and torch both release the GIL). Unfiltered, it does not count its matches:
    # counting visits every posting where the top of the list need not, and the total
    # shown is then an estimate (the hybrid list is ranked by meaning as much as by
    # words anyway). With filters or required phrases the count stays exact.
    plain = filters.is_empty() and not parsed.categories and not parsed.has_constraints
    lexical_side = _POOL.submit(lexical, gen, parsed, filters, pool, count=not plain)
    try:
        near = dense(gen, parsed, filters, pool, vector())
    finally:
        words, count = lexical_side.result()
    if plain:
        count = gen.lexical.estimate_matches(parsed.words)
    near = above(*near, floor, keep=words[0])
    share = gen.columns.embedded_share if config.catch_up else 1.0
    strong_weight = config.strong_dense_weight
    rows, scores = fuse(
        words,
        near,
        config.fusion,
        k=config.rrf_k,
        dense_weight=config.dense_weight * share,
        pin=config.strong_margin,
        strong_dense_weight=None if strong_weight is None else strong_weight * share,
    )
    pinned = verbatim(gen, parsed, words[0], config)
    titled = exact_titles(gen, parsed, words[0], config)
    if len(titled):
        pinned = np.concatenate([titled, pinned[~np.isin(pinned, titled)]])
    if len(pinned):
        rows, scores = pin_rows((rows, scores), pinned)
    return rows, scores, max(len(rows), count)


def above(
    rows: RowArray, scores: FloatArray, floor: float, *, keep: RowArray | None = None
) -> Ranked:
    """The dense hits scoring ``floor`` or more (``keep``: rows kept whatever their score,
    the ones the words found too)."""
    if floor <= 0 or not len(rows):
        return rows, scores
    wanted = scores >= floor
    if keep is not None and len(keep):
        wanted |= np.isin(rows, keep)
    return rows[wanted], scores[wanted]


def exact_titles(
    gen: Generation, parsed: ParsedQuery, lexical_rows: RowArray, config: IndexConfig
) -> RowArray:
    """Lexical top rows whose title is the query, word for word (case and punctuation
    aside): a reader who types a paper's whole title means that paper, however few of the
    papers near it in meaning have vectors yet."""
    if not config.exact_title or config.verbatim_depth <= 0 or not parsed.words:
        return lexical_rows[:0]
    if parsed.phrases or parsed.excluded or parsed.authors:
        return lexical_rows[:0]
    top = lexical_rows[: config.verbatim_depth]
    wanted = gen.lexical.words_of(" ".join(parsed.words))
    titles = gen.lexical.titles(top.tolist())
    same = [gen.lexical.words_of(titles.get(int(r), "")) == wanted for r in top.tolist()]
    return top[np.asarray(same, dtype=np.bool_)]


def verbatim(
    gen: Generation, parsed: ParsedQuery, lexical_rows: RowArray, config: IndexConfig
) -> RowArray:
    """Lexical top rows holding the query's words in the query's order (a pasted title
    or sentence): a reader who types that many words in that order means that paper."""
    words = parsed.words
    if config.verbatim_depth <= 0 or len(words) < config.verbatim_words:
        return lexical_rows[:0]
    top = lexical_rows[: config.verbatim_depth]
    phrase = ParsedQuery(phrases=(" ".join(words),))
    query = gen.lexical.build_query(phrase, Filters(), score=False)
    found = gen.lexical.matching_rows(query, top.tolist())
    return top[np.isin(top, np.fromiter(found, dtype=np.int64, count=len(found)))]
