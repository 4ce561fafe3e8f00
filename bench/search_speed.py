"""Latency, recall, memory and build cost of the search core at scale.

    python bench/search_speed.py --size 2500000 [--queries 500]

Builds a corpus of ``--size`` papers from the real 142k: the real papers first, then new
ones whose titles and abstracts recombine real titles' words and real abstracts' sentences
(for the lexical side) and whose vectors are real vectors plus small noise (for the dense
side). The built index is cached in bench/out/speed-<size>/. Prints p50/p99 latency for
lexical, dense and hybrid search (query embedding included) beside an exact brute-force
numpy scan, the graph's recall@10 against exact search, resident memory, build time and
size on disk.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import OUT, snapshot_papers, snapshot_vectors
from papersearch import Document, MiniLMEmbedder, SearchIndex

NOISE = 0.015  # per dimension: cosine to the source vector about 0.96
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "via", "by", "from"}


def synthetic(real: list[Document], vectors: np.ndarray, size: int, seed: int = 1):
    """The real papers, then recombined ones; yields (docs, vectors) in blocks."""
    rng = np.random.default_rng(seed)
    split = re.compile(r"(?<=[.!?])\s+")
    sentences = [s for d in real for s in split.split(d.abstract) if s]
    title_words = [d.title.split() for d in real]
    yield real, vectors
    made = len(real)
    block = 50_000
    while made < size:
        n = min(block, size - made)
        src = rng.integers(0, len(real), n)
        lengths = rng.integers(4, 10, n)
        picks = rng.integers(0, len(sentences), int(lengths.sum()))
        mix = rng.integers(0, len(real), n)
        docs = []
        pos = 0
        for j in range(n):
            base = real[src[j]]
            words = title_words[src[j]][: max(2, len(title_words[src[j]]) // 2)]
            words = words + title_words[mix[j]][len(title_words[mix[j]]) // 2 :]
            abstract = " ".join(sentences[p] for p in picks[pos : pos + lengths[j]])
            pos += lengths[j]
            docs.append(
                Document(
                    id=f"syn.{made + j:08d}",
                    title=" ".join(words),
                    abstract=abstract,
                    authors=base.authors,
                    categories=base.categories,
                    date=base.date,
                    has_code=base.has_code,
                )
            )
        noisy = vectors[src] + rng.normal(0, NOISE, (n, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        yield docs, noisy
        made += n


def make_queries(real: list[Document], n: int, seed: int = 2) -> list[str]:
    rng = np.random.default_rng(seed)
    queries = []
    while len(queries) < n:
        words = [
            w for w in re.findall(r"[A-Za-z][A-Za-z0-9\-]+", real[rng.integers(len(real))].title)
        ]
        words = [w.lower() for w in words if w.lower() not in STOP]
        if not words:
            continue
        k = int(rng.integers(1, 6))
        start = int(rng.integers(0, max(1, len(words) - k + 1)))
        queries.append(" ".join(words[start : start + k]))
    return queries


def build_progress(start: float) -> Callable[[str, int, int], None]:
    """A rebuild's progress printer: a line every 30 s and at the end of each phase."""
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 30 or done == total:
            last[0] = now
            print(f"  {phase} {done:,}/{total:,} at {now - start:.0f} s", flush=True)

    return progress


def build(size: int, path: Path) -> float:
    real = list(snapshot_papers())
    vectors = snapshot_vectors()
    if size < len(real):
        real, vectors = real[:size], vectors[:size]
    docs: list[Document] = []
    blocks: list[np.ndarray] = []
    for block_docs, block_vectors in synthetic(real, vectors, size):
        docs.extend(block_docs)
        blocks.append(block_vectors.astype(np.float16))
    all_vectors = np.concatenate(blocks)
    del blocks
    start = time.perf_counter()
    SearchIndex.rebuild(
        path, docs, vectors=all_vectors, progress=build_progress(start), total=len(docs)
    )
    elapsed = time.perf_counter() - start
    (path.parent / f"{path.name}.build.json").write_text(json.dumps({"seconds": elapsed}))
    return elapsed


def read_through(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        with path.open("rb", buffering=0) as f:
            while chunk := f.read(1 << 24):
                total += len(chunk)
    return total


def percentiles(times: list[float]) -> str:
    ms = np.asarray(times) * 1000
    return f"p50 {np.percentile(ms, 50):7.2f} ms  p99 {np.percentile(ms, 99):7.2f} ms"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_probe(path: Path, queries: list[str]) -> None:
    """In a fresh process: open the index, answer queries (vectors given), report RSS."""
    start = time.perf_counter()
    index = SearchIndex.open(path)
    opened = time.perf_counter() - start
    rng = np.random.default_rng(3)
    for q in queries:
        vector = index.generation.vectors[int(rng.integers(len(index.generation.vectors)))]
        index.search(q, query_vector=np.asarray(vector, np.float32), limit=10)
    print(json.dumps({"open_s": opened, "rss_mb": rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=2_500_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args()
    queries = make_queries(list(snapshot_papers(50_000)), args.queries)
    gc.collect()
    if args.probe:
        memory_probe(Path(args.probe), queries)
        return
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"speed-{args.size}"
    if not (path / "manifest.json").exists():
        print(f"building {args.size:,} papers into {path.relative_to(OUT.parent.parent)}")
        build(args.size, path)
    build_s = json.loads((path.parent / f"{path.name}.build.json").read_text())["seconds"]

    probe = subprocess.run(
        [
            sys.executable,
            __file__,
            "--size",
            str(args.size),
            "--queries",
            "200",
            "--probe",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    memory = json.loads(probe.stdout.strip().splitlines()[-1])

    # As in a web process (dailypapers serve): torch on one thread, the other core free for
    # the keyword half of a hybrid search, which runs beside the query's embedding.
    torch.set_num_threads(1)
    index = SearchIndex.open(path, MiniLMEmbedder(query_cache=0))  # every query embedded
    stats = index.stats()
    print(
        f"{stats.documents:,} papers; built in {build_s:.0f} s; "
        f"{stats.bytes_on_disk / 2**30:.2f} GiB on disk; opened in {memory['open_s']:.2f} s; "
        f"RSS {memory['rss_mb']:.0f} MiB after 200 queries (a process holding only the "
        "index: model not loaded, query vectors given)"
    )
    # A server that has been up a while has the index's files in its page cache (the product
    # asks the kernel for them at start: SearchIndex.prefetch). Read them once, so that the
    # timings are of searching, not of the first reads from disk after a build.
    started = time.perf_counter()
    read = read_through(index.files())
    print(f"read {read / 2**30:.2f} GiB of index files in {time.perf_counter() - started:.0f} s")
    embedder = index.embedder
    assert embedder is not None
    for q in queries[:20]:
        index.search(q)  # warm up
    qvecs = embedder.embed(queries)
    timings: dict[str, list[float]] = {
        "embed query": [],
        "lexical": [],
        "dense": [],
        "hybrid": [],
        "exact numpy scan": [],
    }
    # Each kind in its own pass over the queries: a search timed right after another search
    # for the same query finds that query's graph path in the CPU caches (1-2 ms faster).
    for q in queries:
        t = time.perf_counter()
        embedder.embed_query(q)
        timings["embed query"].append(time.perf_counter() - t)
    for mode in ("lexical", "dense", "hybrid"):
        for q in queries:
            t = time.perf_counter()
            index.search(q, mode=mode, limit=10)
            timings[mode].append(time.perf_counter() - t)
    full = np.asarray(index.generation.vectors, dtype=np.float32)
    recall = []
    for v in qvecs:
        t = time.perf_counter()
        scores = full @ v
        top = np.argpartition(-scores, 10)[:10]
        exact = set(top[np.argsort(-scores[top])].tolist())
        timings["exact numpy scan"].append(time.perf_counter() - t)
        ann, _ = index.generation.dense.search(v, 10)
        recall.append(len(exact & set(ann.tolist())) / 10)
    print(f"{len(queries)} queries of 1-5 words from real titles; top 10 with highlights")
    for name, times in timings.items():
        note = " (query embedding included)" if name in {"dense", "hybrid"} else ""
        print(f"  {name:<18}{percentiles(times)}{note}")
    print(f"  graph recall@10 vs exact: {np.mean(recall):.3f}")
    print(f"  RSS of this process (index + model + f32 copy for the scan): {rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
