"""All file I/O of the search core: atomic replacement, append-only row files, the manifest.

An index directory holds one ``manifest.json`` naming every file that belongs to the current
state. Files are never changed in place once the manifest names them, with one exception:
row files (vectors, ids, hashes) only grow, and the manifest records how many rows are valid,
so bytes written after the last manifest are ignored (and cut off by the next write).
A new state becomes current only when its manifest replaces the old one with ``os.replace``
after every file it names is on disk (write, fsync, rename, fsync the directory).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

MANIFEST = "manifest.json"
# 2: title and abstract scored as one unstemmed field (1: stemmed, separate fields)
FORMAT_VERSION = 2


class IndexFormatError(ValueError):
    """The index on disk was written in another format: rebuild it (vectors are reused)."""

    def __init__(self, path: Path, found: object) -> None:
        super().__init__(
            f"the search index in {path.parent} is in format {found!r}, this version reads "
            f"format {FORMAT_VERSION}: rebuild it (`dailypapers index --rebuild`; the vectors "
            "already computed are reused)"
        )
        self.found = found


GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    """Whether the file is gzip-compressed, by its first two bytes (whatever its name)."""
    with path.open("rb") as f:
        return f.read(2) == GZIP_MAGIC


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Fsync every file below ``path`` and the directories themselves."""
    for root, _dirs, files in os.walk(path):
        for name in files:
            fsync_file(Path(root) / name)
        fsync_dir(Path(root))


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write ``path`` whole or not at all: ``write`` fills a temporary file, synced to disk,
    that then takes the path's place."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))
    fsync_dir(path.parent)


def save_arrays(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """Write a new ``.npz`` file (never one the manifest already names)."""
    atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def load_arrays(path: Path) -> dict[str, npt.NDArray[Any]]:
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def append_rows(path: Path, data: npt.NDArray[Any], valid_bytes: int) -> int:
    """Append ``data`` after the first ``valid_bytes`` bytes of ``path``; return the new size.

    Whatever a crashed write left after ``valid_bytes`` is cut off first.
    """
    with path.open("ab") as f:
        f.truncate(valid_bytes)
        f.seek(valid_bytes)
        f.write(np.ascontiguousarray(data).tobytes())
        f.flush()
        os.fsync(f.fileno())
        return f.tell()


def map_rows(path: Path, dtype: npt.DTypeLike, rows: int, width: int | None = None) -> Any:
    """Memory-map the first ``rows`` rows of a row file (read-only)."""
    shape: tuple[int, ...] = (rows,) if width is None else (rows, width)
    if rows == 0:
        return np.zeros(shape, dtype=dtype)
    return np.memmap(path, dtype=dtype, mode="r", shape=shape)


IOV_ROWS = 512  # rows per vectored read (the kernel takes at most 1024 buffers)


class RowFile:
    """The first ``rows`` rows of a row file, read with ``os.pread`` on demand.

    For files read at random a few hundred rows at a time (the float16 vectors a query's
    candidates are re-scored with): through a memory map every row read would also map its
    neighbours' pages (the kernel maps cached pages around a fault), and a few hundred
    queries would make the whole file resident in each process that searches. Read this
    way the rows stay in the shared page cache and only the rows asked for are copied.
    Indexing takes a row, a slice or an array of rows, like a numpy array (read-only).
    """

    def __init__(self, path: Path, dtype: npt.DTypeLike, rows: int, width: int) -> None:
        self.path = path
        self.dtype = np.dtype(dtype)
        self.shape = (rows, width)
        self.row_bytes = self.dtype.itemsize * width
        self._fd = os.open(path, os.O_RDONLY) if rows else -1

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)
            self._fd = -1

    def _range(self, start: int, stop: int) -> npt.NDArray[Any]:
        size = (stop - start) * self.row_bytes
        data = os.pread(self._fd, size, start * self.row_bytes) if size > 0 else b""
        if len(data) != size:
            raise OSError(f"{self.path}: short read at row {start}")
        return np.frombuffer(data, dtype=self.dtype).reshape(stop - start, self.shape[1])

    def __getitem__(self, key: Any) -> npt.NDArray[Any]:
        n = self.shape[0]
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                stepped: npt.NDArray[Any] = self._range(start, stop)[::step]
                return stepped
            return self._range(start, max(start, stop))
        if isinstance(key, int | np.integer):
            row = int(key) + n if int(key) < 0 else int(key)
            if not 0 <= row < n:
                raise IndexError(f"row {key} out of range ({n} rows)")
            one: npt.NDArray[Any] = self._range(row, row + 1)[0]
            return one
        rows = np.asarray(key, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        if len(rows) == 0:
            return out
        if rows.min() < 0 or rows.max() >= n:
            raise IndexError(f"rows out of range ({n} rows)")
        order = np.argsort(rows, kind="stable")
        ordered = rows[order]
        # One read per run of consecutive rows (at most IOV_ROWS buffers), each buffer a run
        # of rows that are consecutive in ``out`` as well, copied by the kernel straight into
        # its place: a few hundred rows scattered over the file (a query's candidates) cost a
        # buffer each, a window of new papers stored side by side one buffer in all.
        new_read = np.ones(len(rows), dtype=np.bool_)
        new_read[1:] = ordered[1:] != ordered[:-1] + 1
        new_buffer = new_read.copy()
        new_buffer[1:] |= order[1:] != order[:-1] + 1
        starts = np.flatnonzero(new_buffer)
        ends = np.append(starts[1:], len(rows)).tolist()
        first_rows = ordered[starts].tolist()
        places = order[starts].tolist()
        opens_read = new_read[starts].tolist()
        view = memoryview(out.data).cast("B")
        size = self.row_bytes
        buffers: list[memoryview] = []
        at = 0  # the first file row of the pending read
        expected = 0  # how many bytes it reads
        for b, (start, end) in enumerate(zip(starts.tolist(), ends, strict=True)):
            if buffers and (opens_read[b] or len(buffers) >= IOV_ROWS):
                self._read_into(buffers, at, expected)
                buffers = []
            if not buffers:
                at, expected = first_rows[b], 0
            n = end - start
            buffers.append(view[places[b] * size : (places[b] + n) * size])
            expected += n * size
        if buffers:
            self._read_into(buffers, at, expected)
        return out

    def _read_into(self, buffers: list[memoryview], row: int, expected: int) -> None:
        got = os.preadv(self._fd, buffers, row * self.row_bytes)
        if got != expected:
            raise OSError(f"{self.path}: short read at row {row}")

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None) -> Any:
        whole = self._range(0, self.shape[0])
        return whole if dtype is None else whole.astype(dtype)


def read_manifest(directory: Path, *, any_format: bool = False) -> dict[str, Any] | None:
    """The current manifest, or None when there is no index; ``IndexFormatError`` when it is
    in another format, unless ``any_format`` (a rebuild reads an old index's vectors)."""
    path = directory / MANIFEST
    if not path.exists():
        return None
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION and not any_format:
        raise IndexFormatError(path, manifest.get("format"))
    return manifest


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    """Make ``manifest`` the current state: the commit point of every write."""
    fsync_dir(directory)
    data = json.dumps({**manifest, "format": FORMAT_VERSION}, indent=1, sort_keys=True)
    atomic_write_bytes(directory / MANIFEST, data.encode("utf-8"))


def collect_garbage(directory: Path, keep: Iterable[str]) -> None:
    """Remove files and folders of older states that the manifest no longer names."""
    keep_set = {*keep, MANIFEST, ".lock"}
    for entry in directory.iterdir():
        if entry.name in keep_set:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def size_on_disk(directory: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            total += (Path(root) / name).stat().st_size
    return total


LOCK = ".lock"


class WriteLock:
    """One writer per index directory at a time (an advisory ``flock``)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / LOCK
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        import fcntl

        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
