"""Rankers' lists fused into one: reciprocal rank fusion, or a blend of normalised scores."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RowArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]

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
