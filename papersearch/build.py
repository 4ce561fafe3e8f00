"""A full rebuild: every paper into a fresh set of files, then one switch of the manifest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from papersearch import storage
from papersearch.columns import Columns
from papersearch.dense import new_ann, normalise
from papersearch.embed import DIM, MODEL_NAME, Embedder, text_hashes
from papersearch.lexical import LexicalIndex
from papersearch.types import Document

if TYPE_CHECKING:
    from papersearch.index import IndexConfig, ProgressCallback, SearchIndex

ID_BYTES = 32
GRAPH_BATCH = 20_000


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


class _Cache:
    """Vectors an existing index already holds, keyed by (model, text) hash."""

    def __init__(self, hashes: npt.NDArray[np.uint64] | None, vectors: Any) -> None:
        """``vectors``: float16 rows, an array or a ``storage.RowFile``."""
        self.vectors = vectors
        self.sorted: npt.NDArray[np.uint64] | None = None
        self.order: npt.NDArray[np.int64] | None = None
        if hashes is not None and len(hashes):
            self.order = np.argsort(hashes, kind="stable")
            self.sorted = np.asarray(hashes)[self.order]

    @classmethod
    def of_files(cls, path: Path, manifest: dict[str, Any]) -> _Cache:
        """The vectors the index at ``path`` holds, in whatever format it is (its row files
        are the same in every format)."""
        files, rows, dim = manifest["files"], int(manifest["rows"]), int(manifest["dim"])
        try:
            hashes = storage.map_rows(path / files["hashes"], np.uint64, rows)
            vectors = storage.RowFile(path / files["vectors"], np.float16, rows, dim)
        except (KeyError, OSError, ValueError):
            return cls(None, None)
        return cls(hashes, vectors)

    def lookup(self, hashes: npt.NDArray[np.uint64], out: npt.NDArray[np.float32]) -> Any:
        if self.vectors is None or self.sorted is None or self.order is None:
            return np.zeros(len(hashes), dtype=np.bool_)
        pos = np.minimum(np.searchsorted(self.sorted, hashes), len(self.sorted) - 1)
        known: npt.NDArray[np.bool_] = (self.sorted[pos] == hashes) & (hashes != 0)
        found = np.flatnonzero(known)
        if len(found):  # one read of the rows (runs of consecutive rows read at once)
            out[found] = self.vectors[self.order[pos[found]]]
        return known


def rebuild(
    cls: type[SearchIndex],
    path: Path,
    *,
    docs: Iterable[Document],
    embedder: Embedder | None,
    vectors: npt.ArrayLike | None,
    progress: ProgressCallback,
    config: IndexConfig,
    total: int,
    batch: int,
    embed: bool = True,
) -> SearchIndex:
    path.mkdir(parents=True, exist_ok=True)
    with storage.WriteLock(path):
        manifest = storage.read_manifest(path, any_format=True)
        current_format = manifest is not None and manifest["format"] == storage.FORMAT_VERSION
        old = cls(path, embedder, config) if current_format else None
        if manifest is not None:  # the vectors' model and size stay what the index has
            model, dim = str(manifest["model"]), int(manifest["dim"])
        else:
            model = embedder.model_name if embedder else MODEL_NAME
            dim = embedder.dim if embedder else DIM
        epoch = int(manifest["epoch"]) + 1 if manifest else 1
        generation = int(manifest["generation"]) + 1 if manifest else 1
        files = {
            "lexical": f"lexical-{epoch}",
            "static": f"static-{generation}.npz",
            "state": f"state-{generation}.npz",
            "vectors": f"vectors-{epoch}.f16",
            "ids": f"ids-{epoch}.s32",
            "hashes": f"hashes-{epoch}.u64",
            "ann": f"ann-{generation}.usearch",
        }
        current = storage.referenced(manifest) if manifest else set()
        for name in set(files.values()) - current:  # leftovers of a crashed rebuild
            storage.remove(path / name)
        given = None if vectors is None else np.asarray(vectors)
        cache = _Cache.of_files(path, manifest) if manifest is not None else _Cache(None, None)
        lexical = LexicalIndex(path / files["lexical"], create=True)
        columns = Columns.empty()
        sizes = {"ids": 0, "hashes": 0, "vectors": 0}
        for name in sizes:
            (path / files[name]).touch()
        seen: set[str] = set()
        rows = 0
        progress("documents", 0, total)
        for chunk in _batches(docs, batch):
            keep = [i for i, d in enumerate(chunk) if d.id not in seen]
            seen.update(d.id for d in chunk)
            block = [chunk[i] for i in keep]
            hashes = text_hashes(model, [d.embedding_text() for d in block])
            out = np.zeros((len(block), dim), dtype=np.float32)
            embedded = np.ones(len(block), dtype=np.bool_)
            if given is not None:
                out[:] = normalise(given[rows : rows + len(chunk)][keep])
            else:
                known = cache.lookup(hashes, out)
                missing = np.flatnonzero(~known)
                if not embed:
                    embedded = known
                    hashes = np.where(known, hashes, np.uint64(0))
                elif len(missing):
                    if embedder is None:
                        raise ValueError("no embedder given and no vectors passed")
                    out[missing] = embedder.embed([block[i].embedding_text() for i in missing])
            start = columns.rows
            lexical.add(range(start, start + len(block)), block)
            ids = np.asarray([d.id.encode("utf-8") for d in block], dtype=f"S{ID_BYTES}")
            sizes["ids"] = storage.append_rows(path / files["ids"], ids, sizes["ids"])
            sizes["hashes"] = storage.append_rows(path / files["hashes"], hashes, sizes["hashes"])
            sizes["vectors"] = storage.append_rows(
                path / files["vectors"], out.astype(np.float16), sizes["vectors"]
            )
            columns.append(block, [0.0 if d.votes is None else d.votes for d in block], embedded)
            if old is not None:  # votes survive a rebuild unless the documents say otherwise
                old_rows = old._rows_of([d.id for d in block])
                for j, (d, r) in enumerate(zip(block, old_rows.tolist(), strict=True)):
                    if d.votes is None and r >= 0:
                        columns.votes[start + j] = old.columns.votes[r]
            rows += len(chunk)
            progress("documents", columns.rows, total)
        lexical.commit()
        n = columns.rows
        stored = storage.map_rows(path / files["vectors"], np.float16, n, dim)
        ann = new_ann(dim, config.ann_dtype)
        progress("graph", 0, n)
        for lo in range(0, n, GRAPH_BATCH):
            hi = min(lo + GRAPH_BATCH, n)
            graph_rows = np.flatnonzero(columns.embedded[lo:hi])  # no vector yet: not in graph
            if len(graph_rows):
                ann.add(lo + graph_rows, np.asarray(stored[lo:hi][graph_rows], np.float32))
            progress("graph", hi, n)
        if n:
            ann.save(str(path / files["ann"]))
            storage.fsync_file(path / files["ann"])
        else:
            del files["ann"]
        storage.save_arrays(path / files["static"], columns.static_arrays())
        storage.save_arrays(path / files["state"], columns.state_arrays())
        new_manifest = {
            "generation": generation,
            "epoch": epoch,
            "rows": n,
            "ann_rows": n,
            "model": model,
            "dim": dim,
            "pending_lexical_deletes": [],
            "files": files,
        }
        storage.write_manifest(path, new_manifest)
        del old, stored, cache
        storage.collect_garbage(path, storage.referenced(new_manifest))
    return cls(path, embedder, config)
