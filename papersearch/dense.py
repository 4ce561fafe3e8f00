"""Nearest neighbours over unit vectors: an HNSW graph of quantised vectors for the bulk of the
rows, an exact scan of the few rows added since the graph was last saved, and exact
re-scoring of every candidate with the stored float16 vectors.

Filters arrive as a boolean mask over rows. A selective mask is answered by an exact scan of
the rows it allows; otherwise the graph is asked for more candidates until a full page passes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from papersearch.types import FloatArray, Mask, RowArray

RowCheck = Callable[[RowArray], RowArray]

CONNECTIVITY = 16
EXPANSION_ADD = 128
# How far the graph search looks (usearch's ef; at least the candidates asked for). Recall@10
# against exact on 500 real short queries at 2.5M papers, after re-scoring: ef 500 -> 0.85,
# 1000 -> 0.92, 1600 -> 0.955, 2000 -> 0.963, 2500 -> 0.969 (bench/search_speed.py;
# docs/search.md); each 500 more costs about 1 ms. How many of the graph's candidates are
# re-scored did not change recall@10 (100, 300 or 500 alike): what the graph misses it never
# reaches. Recall@100 does need twice the rows asked for (0.955 against 0.896 for as many).
EXPANSION_SEARCH = 2000
DEPTH_BY_SIZE = ((142_000, 768), (2_500_000, 2000))
"""(rows in the graph, the depth that keeps recall@10 >= 0.95 there), measured with
bench/graph_depth.py; in between, the depth grows with the logarithm of the size."""
RESCORE_FACTOR = 2
MIN_CANDIDATES = 100
EXACT_SCAN_ROWS = 40_000
MAX_CANDIDATES = 20_000
SCAN_CHUNK = 65_536


def expansion_for(rows: int) -> int:
    """How deep to search a graph of ``rows`` vectors (``DEPTH_BY_SIZE``): a small graph
    reaches the same recall with a shallower search, and each step deeper costs time."""
    (small, shallow), (large, deep) = DEPTH_BY_SIZE
    if rows <= small:
        return shallow
    if rows >= large:
        return deep
    share = (np.log(rows) - np.log(small)) / (np.log(large) - np.log(small))
    return round(float(shallow + share * (deep - shallow)))


def new_ann(dim: int, dtype: str) -> Index:
    return Index(
        ndim=dim,
        metric="cos",
        dtype=dtype,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def normalise(vectors: npt.ArrayLike) -> FloatArray:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    out: FloatArray = array / norms
    return out


def top_k(rows: RowArray, scores: FloatArray, k: int) -> tuple[RowArray, FloatArray]:
    if len(rows) > k:
        part = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[part], scores[part]
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order]


def exact_scores(vectors: Any, rows: RowArray, query: FloatArray) -> FloatArray:
    """Dot products of the stored vectors of ``rows`` (sorted for locality) with ``query``."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.float32)
    out: FloatArray = np.asarray(vectors[rows], dtype=np.float32) @ query
    return out


def exact_search(
    vectors: Any,
    query: FloatArray,
    k: int,
    allowed: Mask | None,
    *,
    start: int = 0,
    stop: int | None = None,
) -> tuple[RowArray, FloatArray]:
    """Brute force over rows ``start:stop`` that the mask allows, in chunks."""
    stop = len(vectors) if stop is None else stop
    best_rows: list[RowArray] = []
    best_scores: list[FloatArray] = []
    for lo in range(start, stop, SCAN_CHUNK):
        hi = min(lo + SCAN_CHUNK, stop)
        if allowed is None:
            rows = np.arange(lo, hi, dtype=np.int64)
            scores: FloatArray = np.asarray(vectors[lo:hi], dtype=np.float32) @ query
        else:
            rows = lo + np.flatnonzero(allowed[lo:hi]).astype(np.int64)
            scores = exact_scores(vectors, rows, query)
        r, s = top_k(rows, scores, k)
        best_rows.append(r)
        best_scores.append(s)
    if not best_rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    return top_k(np.concatenate(best_rows), np.concatenate(best_scores), k)


class DenseIndex:
    """Searches ``vectors`` (rows x dim float16, memory-mapped); ``ann`` covers rows below
    ``ann_rows``."""

    def __init__(self, vectors: Any, ann: Index | None, ann_rows: int) -> None:
        self.vectors = vectors
        self.ann = ann
        self.ann_rows = ann_rows if ann is not None else 0

    @property
    def rows(self) -> int:
        return len(self.vectors)

    def search(
        self,
        query: FloatArray,
        k: int,
        allowed: Mask | None = None,
        check: RowCheck | None = None,
        allowed_count: int | None = None,
    ) -> tuple[RowArray, FloatArray]:
        """The ``k`` best rows that ``allowed`` permits and ``check`` keeps, best first."""
        query = normalise(query)
        n = self.rows
        if n == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if allowed is not None and allowed_count is None:
            allowed_count = int(np.count_nonzero(allowed))
        if (
            self.ann is None
            or self.ann_rows == 0
            or (allowed_count is not None and allowed_count <= EXACT_SCAN_ROWS)
        ):
            return self._exact(query, k, allowed, check)
        want = max(k * RESCORE_FACTOR, MIN_CANDIDATES)
        if allowed_count is not None and allowed_count < n:
            want = int(want * min(n / max(allowed_count, 1), 50))
        while True:
            rows = self._candidates(query, want, allowed)
            scores = exact_scores(self.vectors, rows, query)
            rows, scores = top_k(rows, scores, len(rows))
            if check is not None:
                keep = np.isin(rows, check(rows))
                rows, scores = rows[keep], scores[keep]
            if len(rows) >= k or want >= min(MAX_CANDIDATES, self.ann_rows):
                break
            want *= 4
        if len(rows) < k and want < self.ann_rows:  # too sparse for the graph: scan
            return self._exact(query, k, allowed, check)
        return rows[:k], scores[:k]

    def _candidates(self, query: FloatArray, want: int, allowed: Mask | None) -> RowArray:
        assert self.ann is not None
        matches = self.ann.search(query, count=min(want, self.ann_rows))
        rows = np.asarray(matches.keys, dtype=np.int64)
        tail, _ = exact_search(
            self.vectors, query, want, allowed, start=self.ann_rows, stop=self.rows
        )
        rows = np.concatenate([rows, tail])
        if allowed is not None:
            rows = rows[allowed[rows]]
        return rows

    def _exact(
        self, query: FloatArray, k: int, allowed: Mask | None, check: RowCheck | None
    ) -> tuple[RowArray, FloatArray]:
        want = k if check is None else max(k * RESCORE_FACTOR, MIN_CANDIDATES)
        while True:
            rows, scores = exact_search(self.vectors, query, want, allowed)
            exhausted = len(rows) < want
            if check is not None:
                keep = np.isin(rows, check(rows))
                rows, scores = rows[keep], scores[keep]
            if len(rows) >= k or exhausted:
                return rows[:k], scores[:k]
            want *= 4


GRAPH_BATCH = 20_000  # rows handed to the graph at a time (a rebuild reports progress per batch)


def restore_ann(path: Path, *, view: bool) -> Index | None:
    """A saved graph: memory-mapped for searching (``view``), or loaded to be extended."""
    ann = Index.restore(str(path), view=view)
    if ann is not None:
        ann.expansion_search = expansion_for(len(ann))  # type: ignore[misc]  # has a setter
    return ann


def extend_graph(
    ann: Index,
    vectors: Any,
    embedded: Mask,
    start: int,
    stop: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Add rows ``start..stop`` of ``vectors`` to the graph, leaving out rows with no vector
    yet (added keyword-first); ``progress`` is told the row reached after each batch."""
    for lo in range(start, stop, GRAPH_BATCH):
        hi = min(lo + GRAPH_BATCH, stop)
        keep = np.flatnonzero(embedded[lo:hi])
        if len(keep):
            ann.add(lo + keep, np.asarray(vectors[lo:hi][keep], np.float32))
        if progress is not None:
            progress(hi)
