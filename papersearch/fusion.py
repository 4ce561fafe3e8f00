"""Rankers' lists fused into one: reciprocal rank fusion, or a blend of normalised scores."""

from __future__ import annotations

import numpy as np

from papersearch.types import FloatArray, RowArray

RRF_K = 60.0


def rrf(
    lists: list[tuple[RowArray, FloatArray]],
    k: float = RRF_K,
    weights: list[float] | None = None,
) -> tuple[RowArray, FloatArray]:
    """Reciprocal rank fusion: sum of weight / (k + rank) over the lists a row appears in."""
    weights = weights or [1.0] * len(lists)
    fused: dict[int, float] = {}
    for (rows, _scores), weight in zip(lists, weights, strict=True):
        for rank, row in enumerate(rows.tolist()):
            fused[row] = fused.get(row, 0.0) + weight / (k + rank + 1)
    return _sorted(fused)


def blend(
    lists: list[tuple[RowArray, FloatArray]], weights: list[float]
) -> tuple[RowArray, FloatArray]:
    """Weighted sum of scores scaled to [0, 1] within each list (min-max); absent counts 0."""
    fused: dict[int, float] = {}
    for (rows, scores), weight in zip(lists, weights, strict=True):
        if len(rows) == 0:
            continue
        lo, hi = float(scores.min()), float(scores.max())
        scaled = (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
        for row, value in zip(rows.tolist(), scaled.tolist(), strict=True):
            fused[row] = fused.get(row, 0.0) + weight * value
    return _sorted(fused)


def _sorted(fused: dict[int, float]) -> tuple[RowArray, FloatArray]:
    rows = np.fromiter(fused.keys(), dtype=np.int64, count=len(fused))
    scores = np.fromiter(fused.values(), dtype=np.float32, count=len(fused))
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def strong_match(lexical: tuple[RowArray, FloatArray], margin: float) -> bool:
    """Whether the lexical first scores ``margin`` times the lexical second (or stands alone).

    A query that is a paper's title or a sentence of it matches that paper far better than
    any other by its words: a case for trusting the words over the meaning.
    """
    _rows, scores = lexical
    if margin <= 0 or len(scores) == 0:
        return False
    second = float(scores[1]) if len(scores) > 1 else 0.0
    return float(scores[0]) >= margin * second


def pin_rows(fused: tuple[RowArray, FloatArray], first: RowArray) -> tuple[RowArray, FloatArray]:
    """``first`` (in its order) ahead of every other row of ``fused``."""
    rows, scores = fused
    rest = ~np.isin(rows, first)
    top = float(scores[0]) if len(scores) else 0.0
    lead = top + np.arange(len(first), 0, -1, dtype=np.float32) * 1e-6
    return (
        np.concatenate([first, rows[rest]]).astype(np.int64),
        np.concatenate([lead, scores[rest]]).astype(np.float32),
    )


def pin_first(fused: tuple[RowArray, FloatArray], row: int) -> tuple[RowArray, FloatArray]:
    rows, _scores = fused
    if len(rows) == 0 or int(rows[0]) == row:
        return fused
    return pin_rows(fused, np.asarray([row], dtype=np.int64))


def fuse(
    lexical: tuple[RowArray, FloatArray],
    dense: tuple[RowArray, FloatArray],
    how: str = "rrf",
    *,
    k: float = RRF_K,
    dense_weight: float = 1.0,
    pin: float = 0.0,
    strong_dense_weight: float | None = None,
) -> tuple[RowArray, FloatArray]:
    """The hybrid list: reciprocal rank fusion ("rrf") or a score blend ("blend").

    On a strong literal match (``strong_match`` with margin ``pin``), the lexical first is
    put first, or, with ``strong_dense_weight``, the lists are blended with that weight.
    """
    strong = strong_match(lexical, pin)
    if strong and strong_dense_weight is not None:
        return blend([lexical, dense], [1.0, strong_dense_weight])
    if how == "blend":
        fused = blend([lexical, dense], [1.0, dense_weight])
    else:
        fused = rrf([lexical, dense], k, [1.0, dense_weight])
    return pin_first(fused, int(lexical[0][0])) if strong else fused
