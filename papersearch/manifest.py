"""The manifest: which files make up the current state of an index, and how they are named.

This module alone knows the file layout. A state is a *generation* (bumped by every commit);
the row files (ids, hashes, vectors) and the lexical index belong to an *epoch* (bumped by a
rebuild, which writes them afresh), so an ordinary write appends to them in place while its
small files (the columns, the graph) get new names. ``storage.write_manifest`` makes a state
current in one atomic step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papersearch import storage

ID_BYTES = 32
"""The width of a paper id in the ids file (UTF-8, NUL-padded)."""


@dataclass(frozen=True, slots=True)
class Files:
    """The files of one state, by role (names inside the index folder)."""

    lexical: str
    static: str
    state: str
    vectors: str
    ids: str
    hashes: str
    ann: str | None = None

    @classmethod
    def of_epoch(cls, epoch: int, generation: int) -> Files:
        """Fresh row files and lexical index (a rebuild's), with this generation's columns."""
        return cls(
            lexical=f"lexical-{epoch}",
            static=f"static-{generation}.npz",
            state=f"state-{generation}.npz",
            vectors=f"vectors-{epoch}.f16",
            ids=f"ids-{epoch}.s32",
            hashes=f"hashes-{epoch}.u64",
        )

    def names(self) -> set[str]:
        return {n for n in dataclasses.astuple(self) if n}

    def row_files(self) -> tuple[str, str, str]:
        return (self.ids, self.hashes, self.vectors)


@dataclass(frozen=True, slots=True)
class Manifest:
    """One committed state of an index."""

    generation: int
    epoch: int
    rows: int  # rows in the row files that belong to this state (bytes past them do not)
    ann_rows: int  # rows the graph covers; the rest (the tail) are scanned exactly
    model: str
    dim: int
    files: Files
    pending_lexical_deletes: tuple[int, ...] = ()  # retired rows the lexical side still holds

    @classmethod
    def fresh(cls, model: str, dim: int, *, generation: int = 1, epoch: int = 1) -> Manifest:
        """An empty state whose every file is new: a new index's, or a rebuild's."""
        return cls(
            generation=generation,
            epoch=epoch,
            rows=0,
            ann_rows=0,
            model=model,
            dim=dim,
            files=Files.of_epoch(epoch, generation),
        )

    @classmethod
    def read(cls, directory: Path) -> Manifest | None:
        """The current state, or None when there is none (``IndexFormatError`` when it is in
        another format)."""
        raw = storage.read_manifest(directory)
        return None if raw is None else cls.from_json(raw)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Manifest:
        files = dict(raw["files"])
        return cls(
            generation=int(raw["generation"]),
            epoch=int(raw["epoch"]),
            rows=int(raw["rows"]),
            ann_rows=int(raw["ann_rows"]),
            model=str(raw["model"]),
            dim=int(raw["dim"]),
            files=Files(
                lexical=files["lexical"],
                static=files["static"],
                state=files["state"],
                vectors=files["vectors"],
                ids=files["ids"],
                hashes=files["hashes"],
                ann=files.get("ann") or None,
            ),
            pending_lexical_deletes=tuple(int(r) for r in raw.get("pending_lexical_deletes", ())),
        )

    def to_json(self) -> dict[str, Any]:
        files = {k: v for k, v in dataclasses.asdict(self.files).items() if v}
        return {
            "generation": self.generation,
            "epoch": self.epoch,
            "rows": self.rows,
            "ann_rows": self.ann_rows,
            "model": self.model,
            "dim": self.dim,
            "files": files,
            "pending_lexical_deletes": list(self.pending_lexical_deletes),
        }

    def write(self, directory: Path) -> None:
        """Make this the current state (the commit point of every write)."""
        storage.write_manifest(directory, self.to_json())

    def referenced(self) -> set[str]:
        return self.files.names()

    # -- the next states -----------------------------------------------------------------------

    def successor(self) -> Manifest:
        """The next generation over the same row files (an ordinary write's starting point)."""
        return dataclasses.replace(self, generation=self.generation + 1)

    def with_columns(self) -> Manifest:
        """Columns of this generation in files of its own (state; static too)."""
        g = self.generation
        files = dataclasses.replace(self.files, static=f"static-{g}.npz", state=f"state-{g}.npz")
        return dataclasses.replace(self, files=files)

    def with_state(self) -> Manifest:
        """The per-row state (liveness) of this generation in a file of its own."""
        files = dataclasses.replace(self.files, state=f"state-{self.generation}.npz")
        return dataclasses.replace(self, files=files)

    def with_graph(self, rows: int) -> Manifest:
        """A graph file of this generation covering the first ``rows`` rows."""
        files = dataclasses.replace(self.files, ann=f"ann-{self.generation}.usearch")
        return dataclasses.replace(self, files=files, ann_rows=rows)
