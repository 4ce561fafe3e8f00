"""Reader for arXiv's bulk metadata snapshot (``arxiv-metadata-oai-snapshot.json``).

JSON lines, plain or gzip-compressed, 14 keys per line: ``id, submitter, authors, title,
comments, journal-ref, doi, report-no, categories, license, abstract, versions, update_date,
authors_parsed``. The file is streamed: memory does not grow with its size.
"""

from __future__ import annotations

import gzip
import hashlib
import multiprocessing
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson

from dailypapers.catalog.records import InvalidRecord, PaperRecord
from papersearch.storage import is_gzip

from .items import Item

_AND = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


class SnapshotError(Exception):
    """The file cannot be read as a snapshot at all (missing, not JSON lines, ...)."""


@dataclass
class SnapshotFile:
    path: Path
    size: int
    compressed: bool

    @classmethod
    def open_path(cls, path: str | Path) -> SnapshotFile:
        p = Path(path)
        if not p.is_file():
            raise SnapshotError(f"{p}: no such file")
        return cls(path=p.resolve(), size=p.stat().st_size, compressed=is_gzip(p))

    @property
    def key(self) -> str:
        """Identifies this file (path, size, modification time) to resume the same import."""
        stat = self.path.stat()
        digest = hashlib.sha256(f"{self.path}|{self.size}|{stat.st_mtime_ns}".encode())
        return f"snapshot:{digest.hexdigest()[:32]}"

    def lines(self, start_line: int = 0) -> Iterator[tuple[int, bytes, int]]:
        """(line number from 1, line, bytes of the file read so far), from ``start_line`` on."""
        with self.path.open("rb") as raw:
            # GzipFile buffers its reads itself; a plain file opened "rb" is buffered already.
            reader: Iterable[bytes] = (
                gzip.GzipFile(fileobj=raw, mode="rb") if self.compressed else raw
            )
            try:
                for number, line in enumerate(reader, start=1):
                    if number <= start_line:
                        continue
                    yield number, line, raw.tell()
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise SnapshotError(
                    f"{self.path}: the file is damaged or cut short ({exc})"
                ) from exc


def _date(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _authors(data: dict[str, Any]) -> list[str] | None:
    parsed = data.get("authors_parsed")
    names: list[str] = []
    if isinstance(parsed, list):
        for parts in parsed:
            if isinstance(parts, list):
                last, first, suffix = ([*map(str, parts), "", "", ""])[:3]
                names.append(" ".join(p for p in (first, last, suffix) if p.strip()))
    if not names and isinstance(data.get("authors"), str):
        names = [n for n in _AND.split(data["authors"]) if n.strip()]
    return names or None  # no authors at all means unknown, never "remove the authors"


def record_from_snapshot(data: dict[str, Any]) -> PaperRecord:
    """One snapshot line (parsed) as a PaperRecord; raises ValueError for unusable lines."""
    if not isinstance(data, dict):
        raise ValueError("the line is not a JSON object")
    arxiv_id = data.get("id")
    if not isinstance(arxiv_id, str) or not arxiv_id.strip():
        raise ValueError("the line has no id")
    versions = data.get("versions") if isinstance(data.get("versions"), list) else []
    numbered: list[tuple[int, datetime | None]] = []
    for v in versions or []:
        if isinstance(v, dict) and str(v.get("version", "")).lstrip("v").isdigit():
            numbered.append((int(str(v["version"]).lstrip("v")), _date(v.get("created"))))
    numbered.sort(key=lambda pair: pair[0])
    categories = (_text(data.get("categories")) or "").split() or None
    return PaperRecord(
        arxiv_id=arxiv_id,
        version=numbered[-1][0] if numbered else None,
        title=_text(data.get("title")),
        abstract=_text(data.get("abstract")),
        authors=_authors(data),
        categories=categories,
        primary_category=categories[0] if categories else None,
        submitted=numbered[0][1] if numbered else None,
        updated=numbered[-1][1] if numbered else None,
        comments=_text(data.get("comments")),
        journal_ref=_text(data.get("journal-ref")),
        doi=_text(data.get("doi")),
        report_no=_text(data.get("report-no")),
        license=_text(data.get("license")),
    )


def parse_lines(lines: list[tuple[int, bytes]]) -> list[Item]:
    """Parse and check snapshot lines: each becomes a normalised record, or the reason why not.

    Pure (no database), so that it can run in another process while this one writes.
    """
    items = []
    for number, line in lines:
        position = {"line": number}
        try:
            record = record_from_snapshot(orjson.loads(line)).normalized()
        except orjson.JSONDecodeError as exc:
            items.append(Item(position, error=f"not valid JSON ({exc})", where={"line": number}))
            continue
        except InvalidRecord as exc:
            where = {"line": number, "id": str(orjson.loads(line).get("id"))}
            items.append(Item(position, error=str(exc), where=where))
            continue
        except ValueError as exc:
            items.append(Item(position, error=str(exc), where={"line": number}))
            continue
        items.append(Item(position, record=record, where={"line": number, "id": record.arxiv_id}))
    return items


def _chunks(
    snapshot: SnapshotFile, start_line: int, size: int
) -> Iterator[tuple[list[tuple[int, bytes]], int]]:
    """Chunks of non-blank lines; a damaged file still yields what was read before the damage,
    then raises SnapshotError."""
    chunk: list[tuple[int, bytes]] = []
    read = 0
    try:
        for number, line, read in snapshot.lines(start_line):
            if line.strip():
                chunk.append((number, line))
            if len(chunk) >= size:
                yield chunk, read
                chunk = []
    except SnapshotError:
        if chunk:
            yield chunk, read
        raise
    if chunk:
        yield chunk, read


PARALLEL_FROM_BYTES = 4 << 20
"""Files smaller than this are parsed in the writing process: starting workers costs more."""


def default_workers(size: int) -> int:
    """Parsing processes beside the one writing to the database: one per spare core, up to 3."""
    if size < PARALLEL_FROM_BYTES:
        return 0
    return max(0, min((os.cpu_count() or 1) - 1, 3))


def _exit_with_parent(parent: int) -> None:
    """In a parsing process: stop when the importer is gone (killed, say), not linger."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def read_snapshot(
    snapshot: SnapshotFile, start_line: int = 0, *, workers: int | None = None, chunk: int = 1000
) -> Iterator[tuple[Item, int]]:
    """Items (each a record or a reason, with its line number) and the bytes read so far.

    With workers, lines are parsed in other processes, a few chunks ahead, in order.
    """
    workers = default_workers(snapshot.size) if workers is None else workers
    if workers <= 0:
        for lines, read in _chunks(snapshot, start_line, chunk):
            for item in parse_lines(lines):
                yield item, read
        return
    # Spawned, not forked: a fork of a process with threads (a web server, a test runner) can
    # inherit a held lock; spawned workers import only this module.
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        pending: deque[tuple[Future[list[Item]], int]] = deque()
        damage: SnapshotError | None = None
        try:
            chunks = _chunks(snapshot, start_line, chunk)
            while True:
                try:
                    lines, read = next(chunks)
                except StopIteration:
                    break
                except SnapshotError as exc:
                    damage = exc  # hand over what was read before it, then raise
                    break
                pending.append((pool.submit(parse_lines, lines), read))
                if len(pending) > workers * 2:
                    future, done_read = pending.popleft()
                    for item in future.result():
                        yield item, done_read
            while pending:
                future, done_read = pending.popleft()
                for item in future.result():
                    yield item, done_read
        finally:
            for future, _ in pending:
                future.cancel()
        if damage is not None:
            raise damage
