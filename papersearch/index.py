"""``SearchIndex``: the public face of the search core.

An index is a folder (see ``storage`` for how it is written). Rows are append-only: adding a
paper that is already there appends a new row and retires the old one, so a reader never
sees a row change under it. ``rebuild`` writes a fresh set of files and switches to them in
one step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersearch import storage
from papersearch.columns import Columns
from papersearch.dense import EXPANSION_SEARCH, DenseIndex, new_ann, normalise
from papersearch.embed import DIM, MODEL_NAME, Embedder, text_hashes
from papersearch.lexical import LexicalIndex
from papersearch.query import ParsedQuery, parse
from papersearch.ranking import Rankers, order_by
from papersearch.types import (
    Document,
    Filters,
    Hit,
    Mask,
    Mode,
    RowArray,
    SearchResults,
    Sort,
    Stats,
)

ID_BYTES = 32
ProgressCallback = Callable[[str, int, int], None]


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
    sort_pool: int = 1000


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
        self._lookup: tuple[npt.NDArray[Any], RowArray] | None = None
        self._load()

    # -- opening -----------------------------------------------------------------------------

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
        if storage.read_manifest(path) is None:
            with storage.WriteLock(path):
                if storage.read_manifest(path) is None:
                    cls._write_empty(path, model_name, dim)
        return cls(path, embedder, config)

    @staticmethod
    def _write_empty(path: Path, model_name: str, dim: int) -> None:
        lexical = LexicalIndex(path / "lexical-1", create=True)
        lexical.commit()
        columns = Columns.empty()
        storage.save_arrays(path / "static-1.npz", columns.static_arrays())
        storage.save_arrays(path / "state-1.npz", columns.state_arrays())
        for name in ("vectors-1.f16", "ids-1.s32", "hashes-1.u64"):
            (path / name).touch()
        manifest = {
            "generation": 1,
            "epoch": 1,
            "rows": 0,
            "ann_rows": 0,
            "model": model_name,
            "dim": dim,
            "pending_lexical_deletes": [],
            "files": {
                "lexical": "lexical-1",
                "static": "static-1.npz",
                "state": "state-1.npz",
                "vectors": "vectors-1.f16",
                "ids": "ids-1.s32",
                "hashes": "hashes-1.u64",
            },
        }
        storage.write_manifest(path, manifest)

    def _load(self) -> None:
        manifest = storage.read_manifest(self.path)
        if manifest is None:
            raise FileNotFoundError(f"no search index at {self.path}")
        self.manifest = manifest
        files = manifest["files"]
        rows = int(manifest["rows"])
        self.dim = int(manifest["dim"])
        self.model_name = str(manifest["model"])
        self.vectors = storage.RowFile(self.path / files["vectors"], np.float16, rows, self.dim)
        self.ids = storage.map_rows(self.path / files["ids"], f"S{ID_BYTES}", rows)
        self.hashes = storage.map_rows(self.path / files["hashes"], np.uint64, rows)
        self.columns = Columns.from_arrays(
            storage.load_arrays(self.path / files["static"]),
            storage.load_arrays(self.path / files["state"]),
        )
        ann = None
        if files.get("ann"):
            from usearch.index import Index

            ann = Index.restore(str(self.path / files["ann"]), view=True)
            if ann is not None:
                ann.expansion_search = EXPANSION_SEARCH  # type: ignore[misc]  # has a setter
        self.dense = DenseIndex(self.vectors, ann, int(manifest["ann_rows"]))
        self.lexical = LexicalIndex(self.path / files["lexical"])
        self._lookup = None
        self._rankers = Rankers(self)

    def refresh(self) -> bool:
        """Reload if another process committed a newer state; True when it did."""
        manifest = storage.read_manifest(self.path)
        if manifest is None or manifest["generation"] == self.manifest["generation"]:
            return False
        self._load()
        return True

    # -- lookups -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.columns.live

    def __contains__(self, paper_id: object) -> bool:
        return isinstance(paper_id, str) and self._rows_of([paper_id])[0] >= 0

    def _rows_of(self, ids: Sequence[str]) -> RowArray:
        """The live row of each id, or -1."""
        if self._lookup is None:
            live = np.flatnonzero(self.columns.alive).astype(np.int64)
            keys = np.asarray(self.ids[live])
            order = np.argsort(keys, kind="stable")
            self._lookup = (keys[order], live[order])
        keys, rows = self._lookup
        wanted = np.asarray([i.encode("utf-8") for i in ids], dtype=f"S{ID_BYTES}")
        pos = np.searchsorted(keys, wanted)
        pos = np.minimum(pos, max(len(keys) - 1, 0))
        found = (len(keys) > 0) & (keys[pos] == wanted) if len(keys) else np.zeros(len(ids), bool)
        return np.where(found, rows[pos] if len(rows) else -1, -1).astype(np.int64)

    def id_of(self, rows: Iterable[int]) -> list[str]:
        return [bytes(self.ids[r]).rstrip(b"\0").decode("utf-8") for r in rows]

    def vector(self, paper_id: str) -> npt.NDArray[np.float32] | None:
        """The stored unit vector of a paper (for "similar" and reader profiles)."""
        row = int(self._rows_of([paper_id])[0])
        return None if row < 0 else np.asarray(self.vectors[row], dtype=np.float32)

    def votes(self, paper_id: str) -> float | None:
        row = int(self._rows_of([paper_id])[0])
        return None if row < 0 else float(self.columns.votes[row])

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
        filters = filters or Filters()
        sort, mode = Sort(sort), Mode(mode)
        parsed = parse(query)
        want = offset + limit
        if parsed.is_empty:
            rows, scores, total = self._browse(parsed, filters, sort, want)
            exact = True
        else:
            if not parsed.has_text:
                mode = Mode.LEXICAL
            pool = max(want, self.config.sort_pool if sort != Sort.RELEVANCE else 0)
            vector = None if query_vector is None else normalise(query_vector)
            rows, scores, total, exact = self._rankers.rank(parsed, filters, mode, pool, vector)
            if sort != Sort.RELEVANCE:
                rows, scores = order_by(rows, scores, self._sort_key(sort))
        page_rows = rows[offset:want]
        snippets = (
            self.lexical.highlights(page_rows.tolist(), parsed)
            if highlight and parsed.has_text
            else {}
        )
        ids = self.id_of(page_rows.tolist())
        hits = [
            Hit(id=pid, score=float(score), highlights=snippets.get(int(row), {}))
            for pid, row, score in zip(ids, page_rows.tolist(), scores[offset:want], strict=True)
        ]
        return SearchResults(hits=hits, total=total, total_exact=exact, mode=mode, sort=sort)

    def _sort_key(self, sort: Sort) -> npt.NDArray[Any]:
        return self.columns.votes if sort == Sort.VOTES else self.columns.date

    def _browse(
        self, parsed: ParsedQuery, filters: Filters, sort: Sort, want: int
    ) -> tuple[RowArray, npt.NDArray[np.float32], int]:
        mask = self.columns.mask(filters, parsed.categories)
        rows = np.flatnonzero(mask) if mask is not None else np.arange(self.columns.rows)
        key = self._sort_key(Sort.VOTES if sort == Sort.VOTES else Sort.DATE)[rows]
        total = len(rows)
        if len(rows) > want:
            part = np.argpartition(-key.astype(np.float64), want - 1)[:want]
            rows, key = rows[part], key[part]
        order = np.lexsort((-rows, -key.astype(np.float64)))
        return rows[order].astype(np.int64), key[order].astype(np.float32), total

    def dense_mask(self, filters: Filters, categories: Sequence[str] = ()) -> Mask | None:
        return self.columns.mask(filters, categories)

    def similar(self, paper_id: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The ``k`` papers nearest to this paper's own vector (itself left out)."""
        row = int(self._rows_of([paper_id])[0])
        if row < 0:
            raise KeyError(paper_id)
        if not self.columns.embedded[row]:
            return []  # added keyword-first: no vector yet
        mask = self.columns.mask(filters or Filters(), dense=True)
        mask = self.columns.alive.copy() if mask is None else mask
        mask[row] = False
        rows, scores = self.dense.search(
            np.asarray(self.vectors[row], dtype=np.float32), k, allowed=mask
        )
        return [
            Hit(id=pid, score=float(s))
            for pid, s in zip(self.id_of(rows.tolist()), scores.tolist(), strict=True)
        ]

    def stats(self) -> Stats:
        live = len(self)
        return Stats(
            documents=live,
            deleted_rows=self.columns.rows - live,
            ann_rows=self.dense.ann_rows,
            tail_rows=self.columns.rows - self.dense.ann_rows,
            model=self.model_name,
            dim=self.dim,
            generation=int(self.manifest["generation"]),
            bytes_on_disk=storage.size_on_disk(self.path),
            unembedded=len(self.columns.unembedded_rows()),
        )

    def files(self) -> list[Path]:
        """The files the current generation of the index is made of."""
        out: list[Path] = []
        for name in sorted(n for n in storage.referenced(self.manifest) if n):
            path = self.path / name
            if path.is_dir():
                out.extend(sorted(p for p in path.iterdir() if p.is_file()))
            elif path.is_file():
                out.append(path)
        return out

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
        rows = self.columns.unembedded_rows()
        return self.id_of(rows[:limit].tolist())

    # -- writing -----------------------------------------------------------------------------

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
        A ``Document.votes`` of ``None`` keeps the votes a replaced paper had.
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
        with storage.WriteLock(self.path):
            self.refresh()
            try:
                self._add(docs, given, embed)
            except BaseException:
                self.lexical.close()
                self._load()
                raise

    def _vectors_for(
        self, docs: Sequence[Document], hashes: npt.NDArray[np.uint64], embed: bool = True
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
        out = np.zeros((len(docs), self.dim), dtype=np.float32)
        known = np.zeros(len(docs), dtype=np.bool_)
        if len(self.hashes):
            order = np.argsort(self.hashes, kind="stable")
            sorted_hashes = np.asarray(self.hashes)[order]
            pos = np.minimum(np.searchsorted(sorted_hashes, hashes), len(order) - 1)
            known = sorted_hashes[pos] == hashes
            rows = order[pos[known]]
            out[known] = np.asarray(self.vectors[np.sort(rows)], np.float32)[
                np.argsort(np.argsort(rows))
            ]
        missing = np.flatnonzero(~known)
        if not embed:
            return out, known
        if len(missing):
            if self.embedder is None:
                raise ValueError("no embedder given and no vectors passed for new texts")
            out[missing] = self.embedder.embed([docs[int(i)].embedding_text() for i in missing])
        return out, np.ones(len(docs), dtype=np.bool_)

    def _add(
        self, docs: Sequence[Document], given: npt.NDArray[np.float32] | None, embed: bool
    ) -> None:
        manifest = dict(self.manifest)
        files = dict(manifest["files"])
        first = int(manifest["rows"])
        hashes = text_hashes(self.model_name, [d.embedding_text() for d in docs])
        if given is not None:
            vectors, embedded = normalise(given), np.ones(len(docs), dtype=np.bool_)
        else:
            vectors, embedded = self._vectors_for(docs, hashes, embed)
        hashes = np.where(embedded, hashes, np.uint64(0))  # no cache entry for a missing vector
        old_rows = self._rows_of([d.id for d in docs])
        votes = [
            (float(self.columns.votes[r]) if r >= 0 else 0.0) if d.votes is None else d.votes
            for d, r in zip(docs, old_rows.tolist(), strict=True)
        ]
        new_rows = list(range(first, first + len(docs)))
        retired = [int(r) for r in old_rows if r >= 0]

        # 1. the lexical side: forget what a crashed write left, add the new rows
        self.lexical.delete_from(first)
        self.lexical.delete_rows(manifest["pending_lexical_deletes"])
        self.lexical.add(new_rows, docs)
        self.lexical.commit()

        # 2. row files grow; bytes past the old row count are not yet part of the index
        ids = np.asarray([d.id.encode("utf-8") for d in docs], dtype=f"S{ID_BYTES}")
        storage.append_rows(self.path / files["ids"], ids, first * ID_BYTES)
        storage.append_rows(self.path / files["hashes"], hashes, first * 8)
        storage.append_rows(
            self.path / files["vectors"], vectors.astype(np.float16), first * self.dim * 2
        )

        # 3. metadata columns and, when the tail is long, a new graph
        columns = self.columns
        columns.append(docs, votes, embedded)
        columns.retire(retired)
        rows = first + len(docs)
        generation = int(manifest["generation"]) + 1
        if rows - int(manifest["ann_rows"]) > self.config.tail_rows:
            files["ann"] = self._extend_ann(files.get("ann"), rows, generation)
            manifest["ann_rows"] = rows
        self._commit(manifest, files, generation, rows, retired, static=True)
        if retired:
            self.lexical.delete_rows(retired)
            self.lexical.commit()

    def _extend_ann(self, current: str | None, rows: int, generation: int) -> str:
        from usearch.index import Index

        ann = Index.restore(str(self.path / current)) if current else None
        if ann is None:
            ann = new_ann(self.dim, self.config.ann_dtype)
        start = int(self.manifest["ann_rows"]) if current else 0
        vectors = storage.map_rows(
            self.path / self.manifest["files"]["vectors"], np.float16, rows, self.dim
        )
        embedded = self.columns.embedded
        for lo in range(start, rows, 50_000):
            hi = min(lo + 50_000, rows)
            keep = np.flatnonzero(embedded[lo:hi])  # rows with no vector stay out of the graph
            if len(keep):
                ann.add(lo + keep, np.asarray(vectors[lo:hi][keep], np.float32))
        name = f"ann-{generation}.usearch"
        ann.save(str(self.path / name))
        storage.fsync_file(self.path / name)
        return name

    def _commit(
        self,
        manifest: dict[str, Any],
        files: dict[str, str],
        generation: int,
        rows: int,
        retired: list[int],
        *,
        static: bool,
    ) -> None:
        if static:
            files["static"] = f"static-{generation}.npz"
            storage.save_arrays(self.path / files["static"], self.columns.static_arrays())
        files["state"] = f"state-{generation}.npz"
        storage.save_arrays(self.path / files["state"], self.columns.state_arrays())
        manifest.update(
            generation=generation, rows=rows, files=files, pending_lexical_deletes=retired
        )
        storage.write_manifest(self.path, manifest)
        storage.collect_garbage(self.path, storage.referenced(manifest))
        self._load()

    def delete(self, ids: Iterable[str]) -> int:
        """Remove papers; returns how many were indexed."""
        with storage.WriteLock(self.path):
            self.refresh()
            rows = [int(r) for r in self._rows_of(list(ids)) if r >= 0]
            if not rows:
                return 0
            try:
                manifest = dict(self.manifest)
                self.columns.retire(rows)
                generation = int(manifest["generation"]) + 1
                self._commit(
                    manifest,
                    dict(manifest["files"]),
                    generation,
                    int(manifest["rows"]),
                    rows,
                    static=False,
                )
            except BaseException:
                self.lexical.close()
                self._load()
                raise
            self.lexical.delete_rows(rows)
            self.lexical.commit()
            return len(rows)

    def set_votes(self, votes: Mapping[str, float]) -> int:
        """Set the vote counts used by ``sort="votes"``; returns how many papers were found."""
        with storage.WriteLock(self.path):
            self.refresh()
            ids = list(votes)
            rows = self._rows_of(ids)
            found = rows >= 0
            if not found.any():
                return 0
            try:
                self.columns.votes[rows[found]] = np.asarray(
                    [votes[i] for i, f in zip(ids, found.tolist(), strict=True) if f], np.float32
                )
                manifest = dict(self.manifest)
                self._commit(
                    manifest,
                    dict(manifest["files"]),
                    int(manifest["generation"]) + 1,
                    int(manifest["rows"]),
                    list(manifest["pending_lexical_deletes"]),
                    static=False,
                )
            except BaseException:
                self.lexical.close()
                self._load()
                raise
            return int(found.sum())

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

        return rebuild(
            cls,
            Path(path),
            docs=docs,
            embedder=embedder,
            vectors=vectors,
            progress=progress or _no_progress,
            config=config or IndexConfig(),
            total=total,
            batch=batch,
            embed=embed,
        )
