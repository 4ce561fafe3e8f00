"""``SearchIndex``: the public face of the search core, a small facade.

An index is a folder. What a search reads is the current ``Generation`` (one committed state,
read-only); every change goes through a ``Writer``, which appends rows (adding a paper that
is already there appends a new row and retires the old one), retires rows and commits a new
generation; ``rebuild`` writes a fresh set of files and switches to them in one step. The
``Manifest`` alone knows the file layout; the rankers are plain functions (``ranking``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from papersearch import ranking, storage
from papersearch.dense import normalise, top_k
from papersearch.embed import DIM, MODEL_NAME, Embedder, text_hashes
from papersearch.generation import Generation
from papersearch.manifest import ID_BYTES, Manifest
from papersearch.profiles import Pick, Profile, RecommendConfig, balanced_order, one_blas_thread
from papersearch.profiles import score as score_candidates
from papersearch.query import ParsedQuery, parse
from papersearch.ranking import order_by
from papersearch.types import (
    Document,
    Filters,
    FloatArray,
    Hit,
    Mode,
    RowArray,
    SearchResults,
    Snippet,
    Sort,
    Stats,
)
from papersearch.writer import Writer, vectors_for

ProgressCallback = Callable[[str, int, int], None]
SCORE_CHUNK = 16_384  # candidates scored against the library at a time
# Below this MiniLM cosine a paper found by meaning alone is noise: on the 142k corpus every
# judged arxiv-dev hit in the dense top 100 is at 0.464 or more (1%: 0.487) and every title
# query reaches its paper at 0.448 or more, while 98% of made-up queries reach no paper at
# 0.40 (median best 0.31, 99%: 0.41; bench/dense_floor.py, docs/search.md).
DENSE_FLOOR = 0.40
DENSE_FLOORS = {MODEL_NAME: DENSE_FLOOR}  # a floor is its model's: another model, no floor


@dataclass(frozen=True)
class IndexConfig:
    """Knobs of an index; the defaults are the measured choices (docs/search.md)."""

    ann_dtype: str = "i8"
    tail_rows: int = 20_000
    pool: int = 100
    fusion: str = "rrf"
    rrf_k: float = 20.0
    dense_weight: float = 1.0
    strong_margin: float = 1.3
    strong_dense_weight: float | None = 0.3
    verbatim_words: int = 6  # a query this long found word for word in a paper puts it first
    verbatim_depth: int = 10  # among the lexical top this many (0: off)
    exact_title: bool = True  # a query that is a lexical top paper's title puts it first
    dense_floor: float | None = None  # cosine under which a hit by meaning alone is dropped
    # (None: the embedding model's, ``DENSE_FLOORS``; 0: none)
    catch_up: bool = True  # while embedding catches up, the dense side weighs its share
    sort_pool: int = 1000


def _nearest_per_profile(
    vectors: FloatArray, keep: npt.NDArray[np.bool_], profiles: Sequence[Profile], each: int
) -> list[RowArray]:
    """For each profile, the positions of the ``each`` kept rows of ``vectors`` nearest to
    its vector: the shortlist a large library scores."""
    centres = np.stack([p.vector for p in profiles]).astype(np.float32)
    near = np.empty((len(vectors), len(centres)), dtype=np.float32)
    for lo in range(0, len(vectors), SCORE_CHUNK):
        near[lo : lo + SCORE_CHUNK] = vectors[lo : lo + SCORE_CHUNK] @ centres.T
    near[~keep] = -np.inf
    out: list[RowArray] = []
    for j in range(len(centres)):
        chosen = np.argpartition(-near[:, j], each - 1)[:each]
        out.append(chosen[keep[chosen]].astype(np.int64))
    return out


def _score_by_profile(
    vectors: FloatArray,
    shortlist: list[RowArray],
    *,
    library: FloatArray,
    library_weights: FloatArray,
    owner: RowArray,
    negative: FloatArray,
    config: RecommendConfig,
) -> tuple[RowArray, tuple[FloatArray, RowArray]]:
    """Each profile's shortlisted rows scored against that profile's own papers (``owner``
    says whose each library row is, in order): a candidate's best library papers are its
    nearest profile's, and this costs the library's size once, not once per candidate.
    A row several profiles chose keeps its best score. Returns the positions (sorted) and
    their scores and library papers."""
    found: list[RowArray] = []
    scores: list[FloatArray] = []
    likes: list[RowArray] = []
    bounds = np.searchsorted(owner, np.arange(len(shortlist) + 1))
    for j, chosen in enumerate(shortlist):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi == lo or not len(chosen):
            continue
        s, like = score_candidates(
            vectors[chosen], library[lo:hi], library_weights[lo:hi], negative, config
        )
        found.append(chosen)
        scores.append(s)
        likes.append(like + lo)
    if not found:
        empty = np.zeros(0, dtype=np.int64)
        return empty, (np.zeros(0, dtype=np.float32), empty)
    pos, score, like = np.concatenate(found), np.concatenate(scores), np.concatenate(likes)
    order = np.lexsort((-score, pos))  # by position, the best score first
    pos, score, like = pos[order], score[order], like[order]
    first = np.ones(len(pos), dtype=np.bool_)
    first[1:] = pos[1:] != pos[:-1]
    return pos[first], (score[first], like[first])


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    return None


class SearchIndex:
    """Hybrid BM25 + MiniLM search over papers, with filters, sorting and similar papers."""

    def __init__(
        self, path: Path, embedder: Embedder | None = None, config: IndexConfig | None = None
    ) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.config = config or IndexConfig()
        self.generation = Generation.open(self.path)

    @classmethod
    def open(
        cls,
        path: str | Path,
        embedder: Embedder | None = None,
        config: IndexConfig | None = None,
        *,
        model_name: str = MODEL_NAME,
        dim: int = DIM,
    ) -> SearchIndex:
        """Open the index at ``path``, creating an empty one if there is none."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if Manifest.read(path) is None:
            with storage.WriteLock(path):
                if Manifest.read(path) is None:
                    with Writer.rebuilding(
                        path, Manifest.fresh(model_name, dim), IndexConfig()
                    ) as w:
                        w.commit()
        return cls(path, embedder, config)

    def refresh(self) -> bool:
        """Reload if another process committed a newer state; True when it did."""
        manifest = Manifest.read(self.path)
        if manifest is None or manifest.generation == self.generation.manifest.generation:
            return False
        self.generation = Generation(self.path, manifest)
        return True

    # -- lookups -----------------------------------------------------------------------------

    @property
    def model_name(self) -> str:
        return self.generation.manifest.model

    @property
    def dim(self) -> int:
        return self.generation.manifest.dim

    def __len__(self) -> int:
        return self.generation.live

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, str) and self.generation.rows_of([paper_id])[0] >= 0

    def vector(self, paper_id: str) -> npt.NDArray[np.float32] | None:
        """The stored unit vector of a paper (for "similar" and reader profiles)."""
        return self.generation.vector(paper_id)

    # -- searching ---------------------------------------------------------------------------

    def search(
        self,
        query: str = "",
        filters: Filters | None = None,
        sort: Sort | str = Sort.RELEVANCE,
        *,
        limit: int = 20,
        offset: int = 0,
        mode: Mode | str = Mode.HYBRID,
        highlight: bool = True,
        query_vector: npt.ArrayLike | None = None,
    ) -> SearchResults:
        """One page of results; see ``docs/search.md`` for the query language."""
        gen = self.generation  # one state for the whole search
        filters = filters or Filters()
        sort, mode = Sort(sort), Mode(mode)
        parsed = parse(query)
        want = offset + limit
        if parsed.is_empty:
            rows, scores, total = self._browse(gen, parsed, filters, want)
            exact = True
        else:
            if not parsed.has_text:
                mode = Mode.LEXICAL
            pool = max(want, self.config.sort_pool if sort != Sort.RELEVANCE else 0)
            given = None if query_vector is None else normalise(query_vector)
            rows, scores, total, exact = self._rank(
                gen, parsed, filters, mode=mode, k=pool, given=given
            )
            if sort == Sort.DATE:
                rows, scores = order_by(rows, scores, gen.columns.date)
        page_rows = rows[offset:want].tolist()
        snippets = gen.lexical.highlights(page_rows, parsed) if highlight else {}
        hits = [
            Hit(id=pid, score=float(score), highlights=snippets.get(row, {}))
            for pid, row, score in zip(
                gen.id_of(page_rows), page_rows, scores[offset:want], strict=True
            )
        ]
        return SearchResults(hits=hits, total=total, total_exact=exact, mode=mode, sort=sort)

    def _rank(
        self,
        gen: Generation,
        parsed: ParsedQuery,
        filters: Filters,
        *,
        mode: Mode,
        k: int,
        given: FloatArray | None,
    ) -> tuple[RowArray, FloatArray, int, bool]:
        """Rows and scores (at least ``k`` when that many match), the total and whether it
        is exact."""

        def vector() -> FloatArray:
            if given is not None:
                return given
            if self.embedder is None:
                raise ValueError("dense search needs an embedder or a query vector")
            return self.embedder.embed_query(parsed.free_text)

        if mode == Mode.LEXICAL:
            (rows, scores), count = ranking.lexical(gen, parsed, filters, k)
            return rows, scores, count, True
        floor = self.dense_floor()
        if mode == Mode.DENSE:
            rows, scores = ranking.dense(gen, parsed, filters, k, vector())
            rows, scores = ranking.above(rows, scores, floor)
            return rows, scores, len(rows), False
        rows, scores, total = ranking.hybrid(
            gen, parsed, filters, k, vector=vector, config=self.config, floor=floor
        )
        return rows, scores, total, False

    def dense_floor(self) -> float:
        """The cosine under which a paper found by meaning alone is left out."""
        if self.config.dense_floor is not None:
            return self.config.dense_floor
        model = self.embedder.model_name if self.embedder is not None else self.model_name
        return DENSE_FLOORS.get(model, 0.0)

    @staticmethod
    def _browse(
        gen: Generation, parsed: ParsedQuery, filters: Filters, want: int
    ) -> tuple[RowArray, FloatArray, int]:
        """Every paper that passes the filters, newest first."""
        mask = ranking.allowed_rows(gen, filters, parsed.categories)
        rows = np.flatnonzero(mask) if mask is not None else np.arange(gen.columns.rows)
        key = gen.columns.date[rows]
        total = len(rows)
        if len(rows) > want:
            part = np.argpartition(-key.astype(np.float64), want - 1)[:want]
            rows, key = rows[part], key[part]
        order = np.lexsort((-rows, -key.astype(np.float64)))
        return rows[order].astype(np.int64), key[order].astype(np.float32), total

    def highlights(self, ids: Sequence[str], query: str) -> dict[str, dict[str, Snippet]]:
        """Snippets of these papers' title and abstract with ``query``'s terms marked (for a
        page the caller ordered itself)."""
        gen = self.generation
        rows = [int(r) for r in gen.rows_of(list(ids)) if r >= 0]
        found = gen.lexical.highlights(rows, parse(query))
        return dict(zip(gen.id_of(found), found.values(), strict=True))

    def matching(self, ids: Sequence[str], query: str, filters: Filters | None = None) -> list[str]:
        """Which of these papers the query's words and the filters match (for instance, how
        many of the papers a reader hides a search would have shown), in the order given."""
        gen = self.generation
        parsed = parse(query)
        rows = gen.rows_of(list(ids))
        wanted = filters or Filters()
        plain = Filters(wanted.categories, wanted.date_from, wanted.date_to, wanted.has_code)
        built = gen.lexical.build_query(parsed, plain)
        found = gen.lexical.matching_rows(built, [int(r) for r in rows if r >= 0])
        return [pid for pid, row in zip(ids, rows.tolist(), strict=True) if row in found]

    def similar(self, paper_id: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` papers nearest to this paper's own vector (itself left out)."""
        gen = self.generation
        row = int(gen.rows_of([paper_id])[0])
        if row < 0:
            raise KeyError(paper_id)
        if not gen.columns.embedded[row]:
            return []  # added keyword-first: no vector yet
        mask = ranking.allowed_rows(gen, filters or Filters(), dense=True)
        mask = gen.columns.alive & gen.columns.embedded if mask is None else mask
        mask[row] = False
        rows, scores = gen.dense.search(
            np.asarray(gen.vectors[row], dtype=np.float32), k, allowed=mask
        )
        return [
            Hit(id=pid, score=float(s))
            for pid, s in zip(gen.id_of(rows.tolist()), scores.tolist(), strict=True)
        ]

    def vectors_of(self, ids: Sequence[str]) -> tuple[list[str], FloatArray]:
        """The stored unit vectors of those of ``ids`` the index holds with a vector (the
        found ids in the order given, and one row each): what reader profiles are made of."""
        gen = self.generation
        rows = gen.rows_of(list(ids))
        keep = rows >= 0
        keep[keep] = gen.columns.embedded[rows[keep]]
        found = [pid for pid, k in zip(ids, keep.tolist(), strict=True) if k]
        picked = rows[keep]
        if not len(picked):
            return [], np.zeros((0, gen.manifest.dim), dtype=np.float32)
        order = np.argsort(picked, kind="stable")  # read the file in order
        vectors = np.empty((len(picked), gen.manifest.dim), dtype=np.float32)
        vectors[order] = np.asarray(gen.vectors[picked[order]], dtype=np.float32)
        return found, vectors

    def _members(
        self, members: list[str], given: tuple[Sequence[str], FloatArray] | None
    ) -> tuple[list[str], FloatArray]:
        """``vectors_of(members)``, from ``given`` (ids and their rows) where it has them."""
        if given is None:
            return self.vectors_of(members)
        row_of = {pid: i for i, pid in enumerate(given[0])}
        missing = [pid for pid in members if pid not in row_of]
        if missing:
            return self.vectors_of(members)
        return list(members), given[1][[row_of[pid] for pid in members]]

    def recommend(
        self,
        profiles: Sequence[Profile],
        *,
        negatives: Sequence[str] = (),
        filters: Filters | None = None,
        k: int = 50,
        config: RecommendConfig | None = None,
        library: tuple[Sequence[str], FloatArray] | None = None,
    ) -> list[Pick]:
        """The ``k`` papers that best fit a reader's ``profiles`` among those that pass
        ``filters`` (dates, categories, ``exclude``: what they have seen or dismissed),
        leaving out the profiles' own papers and scoring down papers near ``negatives``
        (papers they were not interested in). See ``papersearch.profiles``. ``library``:
        the profiles' papers and their vectors when the caller has them already (what
        ``vectors_of`` gave it), so they are not read again."""
        with one_blas_thread():
            return self._recommend(
                profiles,
                negatives=negatives,
                filters=filters,
                k=k,
                config=config,
                given=library,
            )

    def _recommend(
        self,
        profiles: Sequence[Profile],
        *,
        negatives: Sequence[str],
        filters: Filters | None,
        k: int,
        config: RecommendConfig | None,
        given: tuple[Sequence[str], FloatArray] | None = None,
    ) -> list[Pick]:
        config = config or RecommendConfig()
        gen = self.generation
        profiles = [p for p in profiles if p.members]
        if not profiles or k <= 0:
            return []
        members: list[str] = []
        weights: list[float] = []
        owner: list[int] = []
        for j, p in enumerate(profiles):
            member_weights = p.member_weights or (1.0,) * len(p.members)
            members += p.members
            weights += member_weights
            owner += [j] * len(p.members)
        found, library = self._members(members, given)
        if not found:
            return []
        position = {pid: i for i, pid in enumerate(members)}
        index_of = np.asarray([position[pid] for pid in found], dtype=np.int64)
        library_weights = np.asarray(weights, dtype=np.float32)[index_of]
        wanted = filters or Filters()
        own = gen.rows_of(found)
        drop = np.concatenate([ranking.excluded_rows(gen, wanted), own[own >= 0]])
        _, negative = self.vectors_of(list(negatives))
        window = gen.window(replace(wanted, exclude=frozenset()), config.exact_rows)
        scored: tuple[FloatArray, RowArray] | None = None
        if window is not None:  # few enough to compare every one with the profiles
            rows, vectors = window
            keep = np.ones(len(rows), dtype=np.bool_)
            if len(drop) and len(rows):
                at = np.minimum(np.searchsorted(rows, drop), len(rows) - 1)
                keep[at[rows[at] == drop]] = False
            allowed = np.flatnonzero(keep).astype(np.int64)
            pairs = len(allowed) * len(library)
            if pairs > config.score_pairs and len(allowed) > config.per_profile:
                shortlist = _nearest_per_profile(vectors, keep, profiles, config.per_profile)
                lib_owner = np.asarray(owner, dtype=np.int64)[index_of]
                allowed, scored = _score_by_profile(
                    vectors,
                    shortlist,
                    library=library,
                    library_weights=library_weights,
                    owner=lib_owner,
                    negative=negative,
                    config=config,
                )
                candidates = vectors[allowed]
            elif len(allowed) == len(rows):
                candidates = vectors
            else:
                candidates = vectors[allowed]
            rows = rows[allowed]
        else:  # too many: each profile asks the dense index for its nearest allowed rows
            mask = ranking.allowed_rows(gen, wanted, dense=True)
            mask = (gen.columns.alive & gen.columns.embedded) if mask is None else mask
            mask[own[own >= 0]] = False
            found_rows = [
                gen.dense.search(p.vector, config.per_profile, allowed=mask)[0] for p in profiles
            ]
            rows = np.unique(np.concatenate(found_rows)).astype(np.int64)
            candidates = np.asarray(gen.vectors[rows], dtype=np.float32)
        if not len(rows):
            return []
        if scored is None:
            scores = np.empty(len(rows), dtype=np.float32)
            like = np.empty(len(rows), dtype=np.int64)
            for lo in range(0, len(rows), SCORE_CHUNK):
                hi = min(lo + SCORE_CHUNK, len(rows))
                scores[lo:hi], like[lo:hi] = score_candidates(
                    candidates[lo:hi], library, library_weights, negative, config
                )
        else:
            scores, like = scored
        pool = k * config.balance_pool if config.balance and len(profiles) > 1 else k
        positions, best = top_k(np.arange(len(rows), dtype=np.int64), scores, pool)
        if pool > k:
            shares = np.asarray([p.weight for p in profiles], dtype=np.float32)
            order = balanced_order(
                best, np.asarray(owner, np.int64)[index_of[like[positions]]], shares
            )
            positions, best = positions[order[:k]], best[order[:k]]
        liked = like[positions]
        near = np.einsum("ij,ij->i", candidates[positions], library[liked])
        picks = [
            Pick(
                id=pid,
                score=float(s),
                profile=owner[int(index_of[lib])],
                like=found[lib],
                similarity=float(sim),
            )
            for pid, s, lib, sim in zip(
                gen.id_of(rows[positions].tolist()),
                best.tolist(),
                liked.tolist(),
                near.tolist(),
                strict=True,
            )
        ]
        return picks

    def stats(self) -> Stats:
        gen = self.generation
        live = gen.live
        return Stats(
            documents=live,
            deleted_rows=gen.rows - live,
            ann_rows=gen.dense.ann_rows,
            tail_rows=gen.rows - gen.dense.ann_rows,
            model=gen.manifest.model,
            dim=gen.manifest.dim,
            generation=gen.manifest.generation,
            bytes_on_disk=storage.size_on_disk(self.path),
            unembedded=gen.columns.unembedded_live,
        )

    def counts(self) -> tuple[int, int]:
        """(papers, papers without their vector yet): what ``stats`` says of them, without
        its walk over the index's files (cheap enough for every search page)."""
        columns = self.generation.columns
        return columns.live, columns.unembedded_live

    def files(self) -> list[Path]:
        """The files the current generation of the index is made of."""
        return self.generation.files()

    def prefetch(self) -> int:
        """Ask the kernel to read the index's files into its page cache in the background,
        so the first searches after a start do not each wait on the disk (the kernel drops
        the pages again when memory is short). Returns how many bytes were asked for."""
        total = 0
        for path in self.files():
            try:
                fd = os.open(path, os.O_RDONLY)
            except OSError:  # a file a concurrent rebuild just retired
                continue
            try:
                size = os.fstat(fd).st_size
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(fd, 0, size, os.POSIX_FADV_WILLNEED)
                total += size
            finally:
                os.close(fd)
        return total

    def unembedded_ids(self, limit: int | None = None) -> list[str]:
        """Papers found by keywords only so far (their vectors still to be computed)."""
        gen = self.generation
        return gen.id_of(gen.columns.unembedded_rows()[:limit].tolist())

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Writer]:
        """A writer over the newest state, under the folder's lock; the new state is this
        index's once the block commits."""
        with storage.WriteLock(self.path):
            self.refresh()
            with Writer.over(self.generation, self.config) as writer:
                yield writer
            if writer.committed:
                self.generation = Generation(self.path, writer.manifest)

    def add(
        self,
        docs: Sequence[Document],
        vectors: npt.ArrayLike | None = None,
        *,
        embed: bool = True,
    ) -> None:
        """Add papers, or replace the ones whose id is already indexed, in one commit.

        ``vectors`` (one row per doc) skips embedding; otherwise vectors come from the cache
        of (model, text) already in the index, and only new texts are embedded.
        ``embed=False`` adds papers keyword-first: they are found by the lexical side at once,
        and texts the cache does not know get no vector (the dense side skips them) until
        they are added again with ``embed=True`` (see ``unembedded_ids``).
        """
        if not docs:
            return
        last = {doc.id: i for i, doc in enumerate(docs)}
        keep = sorted(last.values())
        docs = [docs[i] for i in keep]  # the last of repeated ids wins
        given = None if vectors is None else np.asarray(vectors, dtype=np.float32)[keep]
        for doc in docs:
            if len(doc.id.encode("utf-8")) > ID_BYTES:
                raise ValueError(f"paper id longer than {ID_BYTES} bytes: {doc.id!r}")
        with self._writing() as writer:
            gen = self.generation
            keys = text_hashes(gen.manifest.model, [d.embedding_text() for d in docs])
            if given is not None:
                found, embedded = normalise(given), np.ones(len(docs), dtype=np.bool_)
            else:
                found, embedded = vectors_for(
                    docs, keys, gen.vector_cache(), self.embedder, gen.manifest.dim, embed=embed
                )
            writer.retire(gen.rows_of([d.id for d in docs]).tolist())
            writer.append(docs, found, keys, embedded)
            writer.commit()

    def delete(self, ids: Iterable[str]) -> int:
        """Remove papers; returns how many were indexed."""
        wanted = list(ids)
        self.refresh()
        if not (self.generation.rows_of(wanted) >= 0).any():
            return 0  # nothing to retire: no writer (and no lexical writer) is opened
        with self._writing() as writer:
            rows = [int(r) for r in self.generation.rows_of(wanted) if r >= 0]
            if rows:
                writer.retire(rows)
                writer.commit()
        return len(rows)

    # -- rebuilding --------------------------------------------------------------------------

    @classmethod
    def rebuild(
        cls,
        path: str | Path,
        docs: Iterable[Document],
        embedder: Embedder | None = None,
        *,
        vectors: npt.ArrayLike | None = None,
        progress: ProgressCallback | None = None,
        config: IndexConfig | None = None,
        total: int = 0,
        batch: int = 5_000,
        embed: bool = True,
    ) -> SearchIndex:
        """Index ``docs`` from scratch into ``path`` and switch to it in one step.

        Vectors come from ``vectors`` (aligned with ``docs``), else from the vectors the old
        index holds for the same (model, text), else from ``embedder``. ``progress`` is called
        as ``progress(phase, done, total)`` with phases "documents" and "graph".
        ``embed=False`` computes no vector: papers the old index has no vector for are found
        by keywords at once and embedded later (``unembedded_ids``, ``add``).
        """
        from papersearch.build import rebuild

        config = config or IndexConfig()
        rebuild(
            Path(path),
            docs=docs,
            embedder=embedder,
            vectors=vectors,
            progress=progress or _no_progress,
            config=config,
            total=total,
            batch=batch,
            embed=embed,
        )
        return cls(Path(path), embedder, config)
