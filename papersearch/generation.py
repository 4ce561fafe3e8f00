"""A generation: one committed state of an index, opened read-only.

It holds what a search reads (ids, vectors, columns, the lexical and dense sides) and never
changes once opened: a write makes a new generation (``writer``), and readers switch to it
with ``SearchIndex.refresh``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from papersearch import storage
from papersearch.columns import Columns
from papersearch.dense import DenseIndex, restore_ann
from papersearch.lexical import LexicalIndex
from papersearch.manifest import ID_BYTES, Manifest
from papersearch.types import Filters, FloatArray, KeyArray, Mask, RowArray

# Windows of rows kept with their vectors in float32 (``Generation.window``), in rows in all
# across windows: 160k rows of 384 dimensions are 246 MB at most (a month of new papers at
# 2.5M papers is 68k rows, 105 MB).
WINDOW_CACHE_ROWS = 160_000
WINDOW_READ_ROWS = 16_384
WindowKey = tuple[tuple[str, ...], int | None, int | None, bool | None]


def encode_ids(ids: Sequence[str]) -> npt.NDArray[np.bytes_]:
    """Paper ids as the ids file stores them."""
    return np.asarray([i.encode("utf-8") for i in ids], dtype=f"S{ID_BYTES}")


class VectorCache:
    """The vectors an index holds, found by the (model, text) key of their text: a paper
    whose text did not change keeps its vector through a write or a rebuild."""

    def __init__(self, keys: KeyArray | None, vectors: Any) -> None:
        """``vectors``: float16 rows aligned with ``keys`` (an array or a ``RowFile``)."""
        self.vectors = vectors
        self.sorted: KeyArray | None = None
        self.order: RowArray | None = None
        if keys is not None and len(keys):
            self.order = np.argsort(keys, kind="stable").astype(np.int64)
            self.sorted = np.asarray(keys)[self.order]

    @classmethod
    def of_files(cls, path: Path, raw: dict[str, Any]) -> VectorCache:
        """The vectors of the index at ``path`` from its raw manifest, whatever its format
        (the row files are the same in every format): a rebuild reuses them."""
        try:
            files, rows, dim = raw["files"], int(raw["rows"]), int(raw["dim"])
            keys = storage.map_rows(path / files["hashes"], np.uint64, rows)
            vectors = storage.RowFile(path / files["vectors"], np.float16, rows, dim)
        except (KeyError, OSError, ValueError):
            return cls(None, None)
        return cls(keys, vectors)

    def lookup(self, keys: KeyArray, out: FloatArray) -> Mask:
        """Fill the rows of ``out`` whose key is known; returns which were."""
        if self.vectors is None or self.sorted is None or self.order is None:
            return np.zeros(len(keys), dtype=np.bool_)
        pos = np.minimum(np.searchsorted(self.sorted, keys), len(self.sorted) - 1)
        known: Mask = (self.sorted[pos] == keys) & (keys != 0)  # 0: a row with no vector
        found = np.flatnonzero(known)
        if len(found):  # one read of the rows (runs of consecutive rows read at once)
            out[found] = self.vectors[self.order[pos[found]]]
        return known


class Generation:
    """The files of one manifest, opened for reading."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest
        files, rows, dim = manifest.files, manifest.rows, manifest.dim
        self.vectors = storage.RowFile(path / files.vectors, np.float16, rows, dim)
        self.ids = storage.map_rows(path / files.ids, f"S{ID_BYTES}", rows)
        self.keys: KeyArray = storage.map_rows(path / files.hashes, np.uint64, rows)
        self.columns = Columns.from_arrays(
            storage.load_arrays(path / files.static), storage.load_arrays(path / files.state)
        )
        ann = restore_ann(path / files.ann, view=True) if files.ann else None
        self.dense = DenseIndex(self.vectors, ann, manifest.ann_rows)
        self.lexical = LexicalIndex(path / files.lexical)
        self._lookup: tuple[npt.NDArray[Any], RowArray] | None = None
        self._cache: VectorCache | None = None
        # a window's row count, and its rows and vectors unless there were too many
        self._windows: OrderedDict[WindowKey, tuple[int, tuple[RowArray, FloatArray] | None]]
        self._windows = OrderedDict()
        self._windows_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path) -> Generation:
        manifest = Manifest.read(path)
        if manifest is None:
            raise FileNotFoundError(f"no search index at {path}")
        return cls(path, manifest)

    def close(self) -> None:
        self.lexical.close()

    @property
    def rows(self) -> int:
        return self.manifest.rows

    @property
    def live(self) -> int:
        return self.columns.live

    def rows_of(self, ids: Sequence[str]) -> RowArray:
        """The live row of each id, or -1."""
        if self._lookup is None:
            live = np.flatnonzero(self.columns.alive).astype(np.int64)
            keys = np.asarray(self.ids[live])
            order = np.argsort(keys, kind="stable")
            self._lookup = (keys[order], live[order])
        keys, rows = self._lookup
        if not len(keys):
            return np.full(len(ids), -1, dtype=np.int64)
        wanted = encode_ids(ids)
        pos = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        return np.where(keys[pos] == wanted, rows[pos], -1).astype(np.int64)

    def id_of(self, rows: Iterable[int]) -> list[str]:
        return [bytes(self.ids[r]).rstrip(b"\0").decode("utf-8") for r in rows]

    def vector(self, paper_id: str) -> FloatArray | None:
        """The stored unit vector of a paper, or None when it is not indexed."""
        row = int(self.rows_of([paper_id])[0])
        return None if row < 0 else np.asarray(self.vectors[row], dtype=np.float32)

    def window(self, filters: Filters, limit: int) -> tuple[RowArray, FloatArray] | None:
        """The live rows with a vector that pass ``filters`` (its ``exclude`` aside), in
        order, and their vectors in float32; None when more than ``limit`` rows pass.

        Personal picks score every new paper of a window (the last week's) for each reader:
        the window is found and read once per generation and kept (the most recently used
        ones, ``WINDOW_CACHE_ROWS`` rows in all), so a reader's picks cost matrix products,
        not a mask over every row and a read and conversion of each candidate's vector.
        """
        key: WindowKey = (
            tuple(sorted(filters.categories)),
            None if filters.date_from is None else filters.date_from.toordinal(),
            None if filters.date_to is None else filters.date_to.toordinal(),
            filters.has_code,
        )
        with self._windows_lock:
            if key in self._windows:
                self._windows.move_to_end(key)
                count, cached = self._windows[key]
                if count > limit:
                    return None
                if cached is not None:
                    return cached
        mask = self.columns.mask(filters, dense=True)
        count = self.columns.rows if mask is None else int(np.count_nonzero(mask))
        if count > limit:
            found = None
        else:
            rows: RowArray = (
                np.arange(self.columns.rows, dtype=np.int64)
                if mask is None
                else np.flatnonzero(mask).astype(np.int64)
            )
            vectors: FloatArray = np.empty((len(rows), self.manifest.dim), dtype=np.float32)
            for lo in range(0, len(rows), WINDOW_READ_ROWS):  # f16 -> f32 a block at a time
                vectors[lo : lo + WINDOW_READ_ROWS] = self.vectors[rows[lo : lo + WINDOW_READ_ROWS]]
            found = (rows, vectors)
        with self._windows_lock:
            self._windows[key] = (count, found)
            self._windows.move_to_end(key)
            held = sum(len(w[0]) for _, w in self._windows.values() if w is not None)
            while held > WINDOW_CACHE_ROWS and len(self._windows) > 1:
                _, (_, old) = self._windows.popitem(last=False)
                held -= 0 if old is None else len(old[0])
        return found

    def vector_cache(self) -> VectorCache:
        if self._cache is None:
            self._cache = VectorCache(np.asarray(self.keys), self.vectors)
        return self._cache

    def files(self) -> list[Path]:
        """Every file this generation is made of."""
        out: list[Path] = []
        for name in sorted(self.manifest.referenced()):
            path = self.path / name
            if path.is_dir():
                out.extend(sorted(p for p in path.iterdir() if p.is_file()))
            elif path.is_file():
                out.append(path)
        return out
