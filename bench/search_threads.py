"""Whether each part of a search lets another Python thread run meanwhile.

    python bench/search_speed.py --size 100000   # builds bench/out/speed-100000 first
    python bench/search_threads.py --size 100000

A hybrid search runs its keyword half in a second thread while this one embeds the query and
walks the graph; the two overlap only where the native code releases the GIL. For the query
encoder, tantivy's search and usearch's graph search, this times 200 calls alone and 200
beside a thread that counts in pure Python, and prints how fast that thread counted during
the calls against its idle rate measured in the same run (about 100%: the call releases the
GIL; about 50%, as for the pure-Python baseline: the two threads take turns), and how much
slower the calls were beside it.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import OUT, snapshot_papers
from bench.search_speed import make_queries
from papersearch import Filters, MiniLMEmbedder, SearchIndex
from papersearch.query import parse

CALLS = 200


class Counter:
    """A thread that counts in pure Python until stopped."""

    def __init__(self) -> None:
        self.count = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.running:
            self.count += 1

    def __enter__(self) -> Counter:
        self.thread.start()
        time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()

    def rate(self, seconds: float) -> float:
        start, t = self.count, time.perf_counter()
        time.sleep(seconds)
        return (self.count - start) / (time.perf_counter() - t)


def measure(call: Callable[[int], object]) -> tuple[float, float, float]:
    """(ms a call alone, ms a call beside the counter, the counter's share of its idle rate)."""
    for i in range(20):
        call(i)
    t = time.perf_counter()
    for i in range(CALLS):
        call(i)
    alone = (time.perf_counter() - t) / CALLS
    with Counter() as counter:
        idle = counter.rate(0.3)
        start, t = counter.count, time.perf_counter()
        for i in range(CALLS):
            call(i)
        elapsed = time.perf_counter() - t
        share = (counter.count - start) / elapsed / idle
    return alone * 1000, elapsed / CALLS * 1000, share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2_500_000)
    args = parser.parse_args()
    path = OUT / f"speed-{args.size}"
    if not (path / "manifest.json").exists():
        raise SystemExit(f"no index in {path}: run bench/search_speed.py --size {args.size}")
    torch.set_num_threads(1)
    index = SearchIndex.open(path, MiniLMEmbedder(query_cache=0))
    embedder = index.embedder
    assert embedder is not None and index.generation.dense.ann is not None
    queries = make_queries(list(snapshot_papers(50_000)), CALLS)
    vectors = [embedder.embed_query(q) for q in queries]
    lexical = index.generation.lexical
    keyword_queries = [lexical.build_query(parse(q), Filters()) for q in queries]
    graph = index.generation.dense.ann
    calls: dict[str, Callable[[int], object]] = {
        "pure Python (baseline)": lambda i: sum(range(20_000)),
        "query encoder": lambda i: embedder.embed_query(queries[i]),
        "tantivy search": lambda i: index.generation.lexical.search(
            keyword_queries[i], 100, count=False
        ),
        "usearch graph search": lambda i: graph.search(vectors[i], count=200),
    }
    print(f"{len(index):,} papers; {CALLS} calls of each, alone and beside a counting thread")
    for name, call in calls.items():
        alone, beside, share = measure(call)
        print(
            f"  {name:<24} {alone:6.2f} ms alone  {beside:8.2f} ms beside it  "
            f"the other thread ran at {share:4.0%} of its idle rate"
        )


if __name__ == "__main__":
    main()
