"""Shared by the benchmarks: the real data in ../shared/data, read into Documents."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import numpy as np

from papersearch import Document

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
SNAPSHOT = DATA / "arxiv-cc0-142k.jsonl.gz"
VECTORS = DATA / "arxiv-cc0-142k.minilm-i8.npy"
_SPACE = re.compile(r"\s+")


def clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def paper_from_snapshot(record: dict) -> Document:
    date = None
    if record.get("versions"):
        try:
            date = parsedate_to_datetime(record["versions"][0]["created"]).date()
        except (TypeError, ValueError):
            date = None
    if date is None and record.get("update_date"):
        date = dt.date.fromisoformat(record["update_date"])
    authors = tuple(
        " ".join(p for p in (parts[1], parts[0]) if p).strip()
        for parts in record.get("authors_parsed") or []
        if parts
    )
    abstract = clean(record.get("abstract"))
    return Document(
        id=record["id"],
        title=clean(record.get("title")),
        abstract=abstract,
        authors=authors,
        categories=tuple((record.get("categories") or "").split()),
        date=date,
        has_code="github.com" in abstract.lower(),
    )


def snapshot_papers(limit: int | None = None) -> Iterator[Document]:
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                return
            yield paper_from_snapshot(json.loads(line))


def snapshot_vectors() -> np.ndarray:
    raw = np.load(VECTORS, mmap_mode="r").astype(np.float32) / 127.0
    return raw / np.linalg.norm(raw, axis=1, keepdims=True)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, doc, score = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[doc] = int(score)
    return qrels
