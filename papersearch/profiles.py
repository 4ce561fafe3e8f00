"""Reader profiles and personal picks: the search core's side of "For you".

A reader's library spans several interests, so it is not collapsed into one mean vector.
``build_profiles`` clusters the library's unit vectors (spherical k-means, seeded, so the same
library gives the same profiles) into a few weighted profiles, each remembering its members.
``recommend`` then finds new papers for all profiles at once, in two steps:

1. **Candidates**: the rows that pass the filters (dates, categories) and are not excluded
   (seen, saved, dismissed). When they are few (a month of papers) the window's rows and
   vectors are read once per state of the index and kept (``Generation.window``), and every
   one is scored; when they are many, each profile asks the dense index for its nearest
   allowed rows.
2. **Scores**: each candidate is compared with the library's papers themselves (not only the
   centroids): its score is the weighted mean of its ``top_m`` best similarities to library
   papers, less a penalty for nearness to papers the reader dismissed. The best library paper
   is the pick's explanation ("like <paper>"). A large library over a large window
   (``score_pairs``) first has each profile shortlist its ``per_profile`` nearest candidates,
   scored against that profile's own papers.

Measured choices: docs/search.md, "Personal picks" (bench/foryou_quality.py,
bench/foryou_speed.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

from papersearch.dense import normalise
from papersearch.types import FloatArray, RowArray

_BLAS: list[ThreadpoolController] = []  # the process's BLAS thread pools, found on first use


def one_blas_thread() -> AbstractContextManager[object]:
    """Run numpy's matrix products on one thread for the block: those of a reader's picks
    are a few hundred million operations, where a second thread saves little and, on a
    machine whose other core is busy, its hand-offs made one call in ten take 5-10 times
    as long (30 readers, a month of papers at 2.5M: the slowest 657 ms on two threads, 60 ms
    on one)."""
    if not _BLAS:
        _BLAS.append(ThreadpoolController())
    limiter: AbstractContextManager[object] = _BLAS[0].limit(limits=1, user_api="blas")
    return limiter


@dataclass(frozen=True)
class Profile:
    """One interest: a unit vector, its weight (the share of the library's weight it holds)
    and the library papers it was made from (ids, with their weights)."""

    vector: FloatArray
    weight: float
    members: tuple[str, ...]
    member_weights: tuple[float, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class RecommendConfig:
    """Knobs of ``recommend``; the defaults are the measured choices (docs/search.md,
    bench/foryou_quality.py)."""

    per_profile: int = 200  # candidates each profile brings when they are too many to scan
    exact_rows: int = 100_000  # up to this many allowed rows, every one is scored
    # past this many (allowed rows x library papers), the allowed rows are first cut to the
    # per_profile nearest to each profile's vector, and only those scored in full
    score_pairs: int = 1_000_000
    top_m: int = 1  # a candidate's score: the mean of its best similarities to library papers
    negative_weight: float = 0.5  # how much nearness to a dismissed paper costs
    negative_floor: float = 0.7  # similarities to dismissed papers below this cost nothing
    # only nearness to a dismissed paper beyond the candidate's own score (its nearness to
    # the library) costs: a paper more like what was dismissed than like what was kept
    negative_relative: bool = False
    balance: bool = True  # share the list among the profiles by their weight
    weight_cost: float = 0.3  # a library paper's weight w shifts similarities by this * log2(w)
    balance_pool: int = 4  # the best k * this many candidates by score are shared out


def balanced_order(scores: FloatArray, profile: RowArray, weights: FloatArray) -> RowArray:
    """An order of picks (given best first) in which each profile holds a share of every
    prefix of the list about its weight: a pick's key is its rank within its profile over
    the profile's weight, the score breaking ties. One strong interest then does not push
    the reader's other interests off the page."""
    rank_in_profile = np.zeros(len(scores), dtype=np.float64)
    seen: dict[int, int] = {}
    for i, j in enumerate(profile.tolist()):
        rank_in_profile[i] = seen.get(j, 0)
        seen[j] = seen.get(j, 0) + 1
    share = np.maximum(weights[profile].astype(np.float64), 1e-6)
    key = (rank_in_profile + 1.0) / share
    order: RowArray = np.lexsort((-scores.astype(np.float64), key)).astype(np.int64)
    return order


@dataclass(frozen=True)
class Pick:
    """A recommended paper: its score, the profile that found it and the library paper it is
    most like (with their similarity)."""

    id: str
    score: float
    profile: int
    like: str
    similarity: float


def profile_count(papers: int, most: int) -> int:
    """How many profiles a library of ``papers`` papers gets: about sqrt(papers / 2), at
    least one, at most ``most``."""
    if papers <= 0:
        return 0
    return int(max(1, min(most, round((papers / 2) ** 0.5))))


def build_profiles(
    ids: Sequence[str],
    vectors: FloatArray,
    weights: Sequence[float] | None = None,
    *,
    most: int = 12,
    label: str = "",
    iterations: int = 12,
    seed: int = 0,
) -> list[Profile]:
    """Cluster a library's vectors (one row per id) into weighted interest profiles.

    ``weights`` say how much each paper counts (a "more like this" more than an imported
    one); zero or negative weights are left out. The result is ordered by weight.
    """
    if len(ids) != len(vectors):
        raise ValueError("one vector per id")
    with one_blas_thread():
        return _build_profiles(
            ids, vectors, weights, most=most, label=label, iterations=iterations, seed=seed
        )


def _build_profiles(
    ids: Sequence[str],
    vectors: FloatArray,
    weights: Sequence[float] | None,
    *,
    most: int,
    label: str,
    iterations: int,
    seed: int,
) -> list[Profile]:
    w = np.ones(len(ids), np.float32) if weights is None else np.asarray(weights, np.float32)
    keep = np.flatnonzero(w > 0)
    if not len(keep):
        return []
    x = normalise(np.asarray(vectors, dtype=np.float32)[keep])
    w = w[keep]
    kept_ids = [ids[i] for i in keep.tolist()]
    k = profile_count(len(kept_ids), most)
    centres = _seed_centres(x, w, k, np.random.default_rng(seed))
    assign = np.zeros(len(x), np.int64)
    for _ in range(iterations):
        assign = np.argmax(x @ centres.T, axis=1)
        member = (assign[None, :] == np.arange(len(centres))[:, None]).astype(np.float32)
        moved = member @ (x * w[:, None])  # each centre's members, weighted, summed
        empty = np.linalg.norm(moved, axis=1) == 0
        moved[empty] = centres[empty]
        moved = normalise(moved)
        if np.allclose(moved, centres, atol=1e-5):
            break
        centres = moved
    total = float(w.sum())
    out: list[Profile] = []
    for j in range(k):
        members = np.flatnonzero(assign == j)
        if not len(members):
            continue
        order = members[np.argsort(-(x[members] @ centres[j]), kind="stable")]
        out.append(
            Profile(
                vector=centres[j].astype(np.float32),
                weight=float(w[members].sum()) / total,
                members=tuple(kept_ids[i] for i in order.tolist()),
                member_weights=tuple(float(v) for v in w[order].tolist()),
                label=label,
            )
        )
    out.sort(key=lambda p: -p.weight)
    return out


def _seed_centres(x: FloatArray, w: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    """k-means++ seeding on cosine distance, weighted."""
    first = int(np.argmax(w))
    centres = [x[first]]
    dist = np.maximum(1.0 - x @ x[first], 0.0) * w
    for _ in range(1, k):
        total = float(dist.sum())
        if total <= 0:
            break
        pick = int(rng.choice(len(x), p=dist / total))
        centres.append(x[pick])
        dist = np.minimum(dist, np.maximum(1.0 - x @ x[pick], 0.0) * w)
    return np.stack(centres).astype(np.float32)


def score(
    candidate_vectors: FloatArray,
    library_vectors: FloatArray,
    library_weights: FloatArray,
    negative_vectors: FloatArray | None,
    config: RecommendConfig,
) -> tuple[FloatArray, RowArray]:
    """Each candidate's score and the index of the library paper it is most like.

    A library paper's weight moves the similarities to it by ``weight_cost * log2(weight)``:
    weight 1 counts as it is, 2 ("more like this") a little more, 0.4 (a paper merely read)
    a little less. A shift, not a factor: a factor of 0.4 would put a read paper's nearest
    neighbours below every saved paper's far ones. The shift depends on the paper alone, so
    a library scored in parts scores as it does whole."""
    sims = candidate_vectors @ library_vectors.T  # candidates x library
    m = min(config.top_m, sims.shape[1])
    shift = config.weight_cost * np.log2(np.maximum(library_weights, 1e-6))
    weighted = sims + shift.astype(np.float32)[None, :]
    best = np.argmax(weighted, axis=1)
    if m == 1:
        scores = weighted[np.arange(len(best)), best]
    else:
        part = -np.partition(-weighted, m - 1, axis=1)[:, :m]
        scores = part.mean(axis=1)
    if negative_vectors is not None and len(negative_vectors):
        near = (candidate_vectors @ negative_vectors.T).max(axis=1)
        free = np.float32(config.negative_floor)
        if config.negative_relative:
            free = np.maximum(free, scores)
        scores = scores - config.negative_weight * np.maximum(near - free, 0)
    return scores.astype(np.float32), best.astype(np.int64)
