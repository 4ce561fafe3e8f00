"""The one way an index changes: a ``Writer`` appends and retires rows, extends the graph and
commits a new generation. Adding, deleting and rebuilding all go through it (a rebuild is a
writer into a new epoch's files).

A write never changes what the current generation's readers see: rows are appended past the
committed row count, the columns are a private copy, and the new state becomes current only
when its manifest replaces the old one. A write that fails half-way leaves bytes and
documents past that count, which the next writer cuts off (and readers ignore meanwhile).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from papersearch import storage
from papersearch.columns import Columns
from papersearch.dense import extend_graph, new_ann, restore_ann
from papersearch.embed import Embedder
from papersearch.generation import Generation, VectorCache, encode_ids
from papersearch.lexical import LexicalIndex
from papersearch.manifest import ID_BYTES, Manifest
from papersearch.types import Document, FloatArray, KeyArray, Mask

if TYPE_CHECKING:
    from papersearch.index import IndexConfig

Progress = Callable[[int], None]


def vectors_for(
    docs: Sequence[Document],
    keys: KeyArray,
    cache: VectorCache,
    embedder: Embedder | None,
    dim: int,
    *,
    embed: bool = True,
) -> tuple[FloatArray, Mask]:
    """Unit vectors for ``docs``: the cache's for texts it knows, the embedder's for the others
    (or none, with ``embed=False``: those rows are added keyword-first). Returns the vectors
    and which rows have one."""
    out = np.zeros((len(docs), dim), dtype=np.float32)
    known = cache.lookup(keys, out)
    missing = np.flatnonzero(~known)
    if not embed or not len(missing):
        return out, known
    if embedder is None:
        raise ValueError("no embedder given and no vectors passed for new texts")
    out[missing] = embedder.embed([docs[int(i)].embedding_text() for i in missing])
    return out, np.ones(len(docs), dtype=np.bool_)


class Writer:
    """Changes to one index folder, made current by ``commit``; use it as a context manager
    (and under the folder's ``storage.WriteLock``) so that a failed write leaves no writer of
    the lexical side open."""

    def __init__(
        self,
        path: Path,
        start: Manifest,
        columns: Columns,
        config: IndexConfig,
        *,
        fresh: bool,
    ) -> None:
        self.path = path
        self.config = config
        self.fresh = fresh
        self.manifest = start
        self.columns = columns
        self.retired: list[int] = []
        self.appended = False
        self.committed = False
        files = start.files
        self.lexical = LexicalIndex(path / files.lexical, create=fresh)
        width = {files.ids: ID_BYTES, files.hashes: 8, files.vectors: start.dim * 2}
        self._ends = {name: start.rows * w for name, w in width.items()}
        if fresh:
            for name in files.row_files():
                (path / name).touch()
        else:  # what a crashed write left in the lexical side, and deletes still owed
            self.lexical.delete_from(start.rows)
            if start.pending_lexical_deletes:
                self.lexical.delete_rows(list(start.pending_lexical_deletes))

    @classmethod
    def over(cls, generation: Generation, config: IndexConfig) -> Writer:
        """A write on top of the current generation (appending to its row files)."""
        return cls(
            generation.path,
            generation.manifest.successor(),
            generation.columns.copy(),
            config,
            fresh=False,
        )

    @classmethod
    def rebuilding(cls, path: Path, start: Manifest, config: IndexConfig) -> Writer:
        """A write of every row into new files (``start``: a ``Manifest.fresh``)."""
        for name in start.referenced():  # leftovers of a crashed rebuild
            storage.remove(path / name)
        return cls(path, start, Columns.empty(), config, fresh=True)

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.lexical.close()  # rolls back what a failed write left uncommitted

    @property
    def rows(self) -> int:
        return self.columns.rows

    def append(
        self, docs: Sequence[Document], vectors: FloatArray, keys: KeyArray, embedded: Mask
    ) -> None:
        """New rows, one a document; a row with no vector (``embedded`` False) gets key 0, so
        the vector cache never offers its zeros."""
        if not docs:
            return
        first = self.rows
        self.lexical.add(range(first, first + len(docs)), docs)
        keys = np.where(embedded, keys, np.uint64(0))
        files = self.manifest.files
        for name, data in (
            (files.ids, encode_ids([d.id for d in docs])),
            (files.hashes, keys),
            (files.vectors, np.asarray(vectors, dtype=np.float16)),
        ):
            self._ends[name] = storage.append_rows(self.path / name, data, self._ends[name])
        self.columns.append(docs, embedded)
        self.appended = True

    def retire(self, rows: Sequence[int]) -> None:
        """Rows deleted, or replaced by a newer row of the same paper."""
        rows = [int(r) for r in rows if r >= 0]
        if rows:
            self.columns.retire(rows)
            self.retired.extend(rows)

    def commit(self, progress: Progress | None = None) -> Manifest:
        """Make the changes the current state; ``progress`` follows a graph build by rows."""
        rows = self.rows
        self.lexical.commit()
        manifest = dataclasses.replace(self.manifest, rows=rows)
        static = self.appended or self.fresh
        manifest = manifest.with_columns() if static else manifest.with_state()
        if static:
            storage.save_arrays(self.path / manifest.files.static, self.columns.static_arrays())
        storage.save_arrays(self.path / manifest.files.state, self.columns.state_arrays())
        if rows and (self.fresh or rows - manifest.ann_rows > self.config.tail_rows):
            manifest = self._extend_graph(manifest, rows, progress)
        manifest = dataclasses.replace(manifest, pending_lexical_deletes=tuple(self.retired))
        manifest.write(self.path)
        storage.collect_garbage(self.path, manifest.referenced())
        if self.retired:  # the manifest owes them until this commit is done
            self.lexical.delete_rows(self.retired)
            self.lexical.commit()
        self.manifest = manifest
        self.committed = True
        return manifest

    def _extend_graph(self, manifest: Manifest, rows: int, progress: Progress | None) -> Manifest:
        current = manifest.files.ann
        ann = restore_ann(self.path / current, view=False) if current else None
        start = manifest.ann_rows if ann is not None else 0
        if ann is None:
            ann = new_ann(manifest.dim, self.config.ann_dtype)
        vectors = storage.map_rows(
            self.path / manifest.files.vectors, np.float16, rows, manifest.dim
        )
        extend_graph(ann, vectors, self.columns.embedded, start, rows, progress=progress)
        manifest = manifest.with_graph(rows)
        assert manifest.files.ann is not None
        ann.save(str(self.path / manifest.files.ann))
        storage.fsync_file(self.path / manifest.files.ann)
        return manifest
