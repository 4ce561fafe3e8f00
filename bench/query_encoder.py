"""Single-query latency of the query encoders against the reference model, in one run.

    python bench/query_encoder.py [--n 400] [--threads 1 0]

Queries: ``--n`` phrases of 1-5 words from real titles (as ``bench/search_speed.py`` makes
them). Encoders: the reference (``SentenceTransformer.encode`` in float32, one text a call),
ONNX Runtime on the fused graph quantized to int8 that ``embed_query`` uses by default
(``papersearch.query_encoder``), on the fused graph in float32 (``query_precision="float32"``),
and on the unfused export (ONNX Runtime's own graph optimizations only). The hand-written
torch encoder that ``embed_query`` used before is in this bench as it was first committed
(``git log bench/query_encoder.py``); docs/search.md has its figures. For each thread count
(0: the framework's default, one a core), each query is embedded by every encoder in turn,
in an order that rotates from query to query, so that the machine's other load falls on all
of them alike. Prints median and p95 in ms and the reference's median over each encoder's
(higher: faster), the cosine to the reference on the queries and on 200 real titles, then
how far each encoder lets another Python thread run beside it (``bench/search_threads.py``'s
measure), and what the graph costs to make (export) and to open from the cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import snapshot_papers
from bench.search_speed import make_queries
from bench.search_threads import measure
from papersearch import query_encoder
from papersearch.embed import bf16_supported, load_model, model_path, plain_encode

Encoder = Callable[[str], np.ndarray]
WARM_UP = 20


def time_interleaved(encoders: dict[str, Encoder], queries: list[str]) -> dict[str, np.ndarray]:
    """ms per call of each encoder, every query through all of them in a rotating order."""
    names = list(encoders)
    times: dict[str, list[float]] = {name: [] for name in names}
    for i, query in enumerate(queries):
        turn = i % len(names)
        for name in names[turn:] + names[:turn]:
            start = time.perf_counter()
            encoders[name](query)
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t[WARM_UP:]) * 1000 for name, t in times.items()}


def agreement(encoder: Encoder, texts: list[str], reference: np.ndarray) -> float:
    return float(min(float(encoder(t) @ reference[i]) for i, t in enumerate(texts)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="queries timed (after 20 warm-up)")
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 0], help="thread counts (0: default)"
    )
    args = parser.parse_args()
    papers = list(snapshot_papers(50_000))
    queries = make_queries(papers, args.n + WARM_UP)
    titles = [p.title for p in papers[:: len(papers) // 200]][:200]
    cores = os.cpu_count() or 1
    print(
        f"{args.n} queries (1-5 words from real titles), {cores} CPUs, "
        f"bf16 instructions: {bf16_supported()}, torch {torch.__version__}, "
        f"onnxruntime {onnxruntime.__version__}"
    )

    start = time.perf_counter()
    model = load_model()
    print(f"reference model loaded in {time.perf_counter() - start:.1f} s")
    model_dir = model_path()
    probes = plain_encode(model, list(query_encoder.PROBES))
    graphs: dict[str, bytes] = {}
    for name, fuse, precision in (
        ("int8", True, "int8"),
        ("fused", True, "float32"),
        ("unfused", False, "float32"),
    ):
        start = time.perf_counter()
        graphs[name] = query_encoder.export(model_dir, probes, fuse=fuse, precision=precision)
        print(f"export ({name}): {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "encoder.onnx"
        path.write_bytes(graphs["fused"])
        start = time.perf_counter()
        query_encoder.QueryEncoder(path, model_dir, 1)
        print(f"open the cached graph: {time.perf_counter() - start:.2f} s")

    reference_titles = plain_encode(model, titles)
    reference_queries = plain_encode(model, queries)
    for threads in args.threads:
        torch.set_num_threads(threads or cores)
        ort_threads = threads or cores
        encoders: dict[str, Encoder] = {
            "reference: SentenceTransformer fp32": lambda q: plain_encode(model, [q])[0],
            "onnxruntime, fused int8 (used)": query_encoder.QueryEncoder(
                graphs["int8"], model_dir, ort_threads
            ),
            "onnxruntime, fused graph float32": query_encoder.QueryEncoder(
                graphs["fused"], model_dir, ort_threads
            ),
            "onnxruntime, unfused graph": query_encoder.QueryEncoder(
                graphs["unfused"], model_dir, ort_threads
            ),
        }
        times = time_interleaved(encoders, queries)
        base = float(np.median(times["reference: SentenceTransformer fp32"]))
        label = f"{threads} thread" + ("s" if threads != 1 else "") if threads else "default"
        print(f"\n{label} (torch {torch.get_num_threads()}, onnxruntime {ort_threads}):")
        print(f"  {'encoder':<38} {'p50 ms':>7} {'p95 ms':>7} {'speed-up':>8}  cosine min")
        for name, encoder in encoders.items():
            t = times[name]
            cosine = min(
                agreement(encoder, queries, reference_queries),
                agreement(encoder, titles, reference_titles),
            )
            print(
                f"  {name:<38} {np.median(t):7.2f} {np.percentile(t, 95):7.2f} "
                f"{base / np.median(t):7.2f}x  {cosine:.6f}"
            )

    torch.set_num_threads(1)
    print("\nbeside a thread counting in pure Python (1 thread each):")
    for name, encoder in {
        "reference: SentenceTransformer fp32": lambda q: plain_encode(model, [q])[0],
        "onnxruntime, fused int8 (used)": query_encoder.QueryEncoder(graphs["int8"], model_dir, 1),
    }.items():
        alone, beside, share = measure(lambda i, e=encoder: e(queries[i % len(queries)]))
        print(
            f"  {name:<38} {alone:6.2f} ms alone  {beside:8.2f} ms beside it  "
            f"the other thread ran at {share:4.0%} of its idle rate"
        )


if __name__ == "__main__":
    main()
