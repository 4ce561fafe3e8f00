"""A full rebuild: every paper into a new epoch's files, then one switch of the manifest."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from papersearch import storage
from papersearch.dense import normalise
from papersearch.embed import DIM, MODEL_NAME, Embedder, text_hashes
from papersearch.generation import VectorCache
from papersearch.manifest import Manifest
from papersearch.types import Document
from papersearch.writer import Writer, vectors_for

if TYPE_CHECKING:
    from papersearch.index import IndexConfig, ProgressCallback


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    it = iter(docs)
    while batch := list(islice(it, size)):
        yield batch


def rebuild(
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
) -> Manifest:
    """Write every document into new files and make them the index's state. The vectors of
    an index already at ``path`` are reused for the texts it holds, whatever its format."""
    path.mkdir(parents=True, exist_ok=True)
    with storage.WriteLock(path):
        old = storage.read_manifest(path, any_format=True)
        if old is not None:  # the vectors' model and size stay what the index has
            start = Manifest.fresh(
                str(old["model"]),
                int(old["dim"]),
                generation=int(old["generation"]) + 1,
                epoch=int(old["epoch"]) + 1,
            )
            cache = VectorCache.of_files(path, old)
        else:
            model = embedder.model_name if embedder else MODEL_NAME
            start = Manifest.fresh(model, embedder.dim if embedder else DIM)
            cache = VectorCache(None, None)
        given = None if vectors is None else np.asarray(vectors)
        seen: set[str] = set()
        read = 0
        with Writer.rebuilding(path, start, config) as writer:
            progress("documents", 0, total)
            for chunk in _batches(docs, batch):
                keep = [i for i, d in enumerate(chunk) if d.id not in seen]
                seen.update(d.id for d in chunk)
                block = [chunk[i] for i in keep]
                keys = text_hashes(start.model, [d.embedding_text() for d in block])
                if given is not None:
                    found = normalise(given[read : read + len(chunk)][keep])
                    embedded = np.ones(len(block), dtype=np.bool_)
                else:
                    found, embedded = vectors_for(
                        block, keys, cache, embedder, start.dim, embed=embed
                    )
                writer.append(block, found, keys, embedded)
                read += len(chunk)
                progress("documents", writer.rows, total)
            rows = writer.rows
            progress("graph", 0, rows)
            del cache  # its files are the old epoch's, removed by the commit
            return writer.commit(lambda done: progress("graph", done, rows))
