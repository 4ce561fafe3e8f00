"""Latency of personal picks: ``build_profiles`` + ``recommend`` for a 1,000-paper library.

    python bench/foryou_speed.py [--sizes 142k,2500000] [--readers 100] [--light]

Over the 142k index of the real papers (bench/out/arxiv-142k.index, built by
bench/foryou_quality.py or bench/search_quality.py) and the synthetic index of
``python bench/search_speed.py --size 2500000`` (bench/out/speed-2500000; its recombined
papers take the dates of the real papers they come from, so a day holds about 17.6 times
the real day's papers). Windows: the papers of the last 1, 7 and 30 days of the corpus
(its newest date is 2026-08-21). ``--light`` uses instead a 2.5M index of the same rows,
dates, categories and vectors without texts or graph (bench/out/foryou-light-<size>, built
in minutes; its dense column is then an exact scan).

Each reader's library is 1,000 papers from before the window: 5 real papers picked at
random and the 200 nearest to each (five interests); they have also seen 100 papers of the
window (excluded) and dismissed 20 (negatives). Timed per reader: the library's vectors
(``vectors_of``), ``build_profiles`` and ``recommend(k=50)``. "warm": the window's rows and
vectors are held by the index's current state after its first use (``Generation.window``);
"cold": the same call with that cache emptied first, as the first reader after each commit
of the index pays. Beside it, in the same run: one plain dense search (a real title as
query, its vector given, top 10 with highlights).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import OUT, snapshot_papers, snapshot_vectors
from bench.search_speed import NOISE, make_queries, read_through
from papersearch import Document, Filters, IndexConfig, SearchIndex, build_profiles
from papersearch.lexical import EPOCH, day_number

SPLIT = re.compile(r"(?<=[.!?])\s+")  # as bench/search_speed.py splits abstracts
WINDOWS = (1, 7, 30)
LIBRARY_SEEDS, PER_SEED = 5, 200
SEEN, DISMISSED = 100, 20


@dataclass(frozen=True)
class Reader:
    library: list[str]
    seen: frozenset[str]
    dismissed: list[str]
    vector: np.ndarray


def ms(times: list[float]) -> str:
    a = np.asarray(times) * 1000
    return f"{np.percentile(a, 50):7.1f} / {np.percentile(a, 99):7.1f}"


def make_readers(
    real: SearchIndex, index: SearchIndex, n: int, since: dt.date, seed: int = 5
) -> list[Reader]:
    """Libraries of real papers found with the 142k index's graph (the real papers are the
    first rows of either index, under the same ids); seen and dismissed papers from
    ``index``'s window."""
    source, gen = real.generation, index.generation
    rng = np.random.default_rng(seed)
    mask = source.columns.date < day_number(since)
    before = np.flatnonzero(mask)
    window = np.flatnonzero(gen.columns.date >= day_number(since))
    readers = []
    for _ in range(n):
        library: dict[int, None] = {}
        for s in rng.choice(before, LIBRARY_SEEDS, replace=False).tolist():
            vector = np.asarray(source.vectors[s], np.float32)
            near, _ = source.dense.search(vector, PER_SEED, allowed=mask)
            library.update(dict.fromkeys(near.tolist()))
        rows = list(library)[: LIBRARY_SEEDS * PER_SEED]
        seen = rng.choice(window, min(SEEN + DISMISSED, len(window)), replace=False).tolist()
        readers.append(
            Reader(
                library=source.id_of(rows),
                seen=frozenset(gen.id_of(seen[:SEEN])),
                dismissed=gen.id_of(seen[SEEN:]),
                vector=np.asarray(source.vectors[int(rows[0])], np.float32),
            )
        )
    return readers


def picks_for(index: SearchIndex, reader: Reader, since: dt.date) -> int:
    ids, vectors = index.vectors_of(reader.library)
    profiles = build_profiles(ids, vectors)
    picks = index.recommend(
        profiles,
        negatives=reader.dismissed,
        filters=Filters(date_from=since, exclude=reader.seen),
        k=50,
    )
    return len(picks)


def timed(calls: list[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        t = time.perf_counter()
        call()
        out.append(time.perf_counter() - t)
    return out


def run(
    label: str, path: Path, real: SearchIndex, *, n: int, cold_runs: int, titles: list[str]
) -> None:
    if not (path / "manifest.json").exists():
        print(f"{label}: no index at {path} (see the docstring)")
        return
    index = SearchIndex.open(path)
    started = time.perf_counter()
    read = read_through(index.files())
    print(
        f"{label}: {len(index):,} papers; read {read / 2**30:.2f} GiB of index files in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    gen = index.generation
    graph = index.stats().ann_rows > 0
    dense_label = "dense p50 / p99" if graph else "scan p50 / max"  # no graph: an exact scan
    newest = EPOCH + dt.timedelta(days=int(gen.columns.date.max()))
    print(
        f"  {'window':<12}{'rows':>8}  {'For you warm p50 / p99':>24}  "
        f"{'cold p50 / p99':>18}  {dense_label:>18}   (ms; load {os.getloadavg()[0]:.1f})"
    )
    for days in WINDOWS:
        since = newest - dt.timedelta(days=days - 1)
        readers = make_readers(real, index, n, since)
        rows = int(np.count_nonzero(gen.columns.date >= day_number(since)))
        for r in readers[:3]:
            picks_for(index, r, since)  # warm up (and fill the window cache)
        warm = timed([lambda r=r, s=since: picks_for(index, r, s) for r in readers])
        cold = []
        for r in readers[:cold_runs]:
            gen._windows.clear()  # as a new state of the index starts
            cold += timed([lambda r=r, s=since: picks_for(index, r, s)])
        dense = timed(
            [
                lambda r=r, q=q: index.search(q, mode="dense", limit=10, query_vector=r.vector)
                for r, q in list(zip(readers, titles, strict=False))[: n if graph else 5]
            ]
        )
        print(
            f"  {'last ' + str(days) + ' d':<12}{rows:>8,}  {ms(warm):>24}  {ms(cold):>18}  "
            f"{ms(dense):>18}",
            flush=True,
        )


def light(size: int, seed: int = 1) -> tuple[list[Document], np.ndarray]:
    """The papers of bench/search_speed.py's synthetic set without their texts: the same
    rows, ids, dates, categories and vectors (the same random draws), empty titles and
    abstracts (personal picks read none of the text)."""
    real = list(snapshot_papers())
    vectors = snapshot_vectors()
    sentences = sum(len([s for s in SPLIT.split(d.abstract) if s]) for d in real)
    docs = [replace(d, title="", abstract="") for d in real]
    blocks = [vectors.astype(np.float16)]
    rng = np.random.default_rng(seed)
    while len(docs) < size:
        n = min(50_000, size - len(docs))
        src = rng.integers(0, len(real), n)
        lengths = rng.integers(4, 10, n)
        rng.integers(0, sentences, int(lengths.sum()))  # the abstracts' sentences
        rng.integers(0, len(real), n)  # the titles' second halves
        made = len(docs)
        docs += [
            Document(
                id=f"syn.{made + j:08d}",
                title="",
                authors=real[s].authors,
                categories=real[s].categories,
                date=real[s].date,
                has_code=real[s].has_code,
            )
            for j, s in enumerate(src.tolist())
        ]
        noisy = vectors[src] + rng.normal(0, NOISE, (n, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        blocks.append(noisy.astype(np.float16))
    return docs, np.concatenate(blocks)


def build_light(size: int, path: Path) -> None:
    """An index of ``light(size)`` with no graph (added, not rebuilt: a rebuild makes one)."""
    docs, vectors = light(size)
    start = time.perf_counter()
    index = SearchIndex.open(path, config=IndexConfig(tail_rows=size))
    for lo in range(0, len(docs), 250_000):
        index.add(docs[lo : lo + 250_000], vectors=vectors[lo : lo + 250_000])
        print(f"  {min(lo + 250_000, len(docs)):,} papers at {time.perf_counter() - start:.0f} s")
    print(f"built {path.name} in {time.perf_counter() - start:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="142k,2500000")
    parser.add_argument("--readers", type=int, default=100)
    parser.add_argument("--cold", type=int, default=20, help="cold calls per window")
    parser.add_argument(
        "--light", action="store_true", help="2.5M without texts or graph (see light())"
    )
    args = parser.parse_args()
    titles = make_queries(list(snapshot_papers(50_000)), args.readers)
    real = SearchIndex.open(OUT / "arxiv-142k.index")
    for size in args.sizes.split(","):
        path = OUT / ("arxiv-142k.index" if size == "142k" else f"speed-{size}")
        if args.light and size != "142k":
            path = OUT / f"foryou-light-{size}"
            if not (path / "manifest.json").exists():
                build_light(int(size), path)
        run(size, path, real, n=args.readers, cold_runs=args.cold, titles=titles)


if __name__ == "__main__":
    main()
