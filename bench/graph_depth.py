"""How deep the graph search must look for recall@10 >= 0.95 at a given index size.

    python bench/graph_depth.py PATH_TO_INDEX [--queries 400] [--depths 64 128 ... 2000]

Opens a built index (the product's, or bench/search_speed.py's under bench/out/), embeds
``--queries`` short queries made of the first words of real titles (1-5 words, as readers
type them; titles of ../shared/data's 142k), and for each graph depth (usearch's ef) prints
the dense side's recall@10 against an exact scan of the same rows and its p50/p99 time
(embedding excluded: every query is embedded once, before timing). The depth the product
uses for a graph of that size (``papersearch.dense.expansion_for``) is marked."""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import snapshot_papers
from papersearch import MiniLMEmbedder, SearchIndex
from papersearch.dense import exact_search, expansion_for

DEPTHS = [64, 128, 192, 256, 384, 512, 768, 1000, 1500, 2000]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("index", type=Path)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--depths", type=int, nargs="+", default=DEPTHS)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    index = SearchIndex.open(args.index, embedder=None)
    gen = index.generation
    dense = gen.dense
    rows = gen.rows
    rng = random.Random(args.seed)
    titles = [paper.title for paper in snapshot_papers()]
    texts = []
    for title in rng.sample(titles, args.queries * 2):
        words = re.findall(r"[A-Za-z][A-Za-z-]+", title)
        if len(words) >= 2:
            texts.append(" ".join(words[: rng.randint(1, min(5, len(words)))]))
        if len(texts) == args.queries:
            break
    embedder = MiniLMEmbedder(query_threads=1)
    queries = np.stack([embedder.embed_query(t) for t in texts]).astype(np.float32)
    exact = [set(exact_search(dense.vectors, q, 10, None)[0].tolist()) for q in queries]
    chosen = expansion_for(dense.ann_rows)
    print(f"{rows:,} rows, {dense.ann_rows:,} in the graph, {len(texts)} queries")
    print(f"{'depth':>6} {'recall@10':>10} {'p50 ms':>8} {'p99 ms':>8}")
    assert dense.ann is not None
    for depth in args.depths:
        dense.ann.expansion_search = depth
        found, times = 0, []
        for query, truth in zip(queries, exact, strict=True):
            started = time.perf_counter()
            got, _ = dense.search(query, 10)
            times.append(time.perf_counter() - started)
            found += len(truth & set(got.tolist()))
        p50, p99 = (float(np.percentile(times, q)) * 1000 for q in (50, 99))
        mark = "  <- the product's depth at this size" if depth == chosen else ""
        print(f"{depth:>6} {found / (10 * len(queries)):>10.3f} {p50:>8.2f} {p99:>8.2f}{mark}")


if __name__ == "__main__":
    main()
