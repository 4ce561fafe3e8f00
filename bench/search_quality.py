"""Ranking quality of the lexical, dense and hybrid rankers side by side.

    python bench/search_quality.py [--sets cranfield,cacm,arxiv-dev,arxiv-specific,known-item]

nDCG@10 and recall@100 on cranfield, cacm, arxiv-dev and arxiv-specific (with unjudged-as-0,
condensed nDCG@10 and the judged share of the top 10), and a known-item test on the 142k
corpus (MRR@10 with the title as query, and with one sentence of the abstract). Corpus
vectors of the small sets are embedded once with the product's CPU path and cached in
bench/out/; the 142k corpus uses the shipped vectors. Queries are embedded one at a time by
the product's query encoder (``--query-precision``, int8 by default as in the product).

The two dev sets over the 142k corpus (arxiv-dev, topic queries; arxiv-specific, two-facet
queries in bench/ir/) are each split into a tuning half (odd query number) and a test half
(even query number). For each half the bench prints lexical, dense, hybrid and two baselines
built outside the product: exact MiniLM search over all vectors and naive RRF (k=60) of BM25
(the lexical mode) and that exact search. A ranking change is worth adopting only if it
helps on the half it was not tuned on. For arxiv-specific it also prints the MRR@10 of the
paper each query was written from.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import (
    DATA,
    OUT,
    read_jsonl,
    read_qrels,
    snapshot_papers,
    snapshot_vectors,
)
from papersearch import Document, IndexConfig, MiniLMEmbedder, SearchIndex

DEPTH = 100
SPECIFIC = Path(__file__).resolve().parent / "ir" / "arxiv-specific"


def ndcg(ranked: list[str], rels: dict[str, int], k: int = 10) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], rels: dict[str, int], k: int = 100) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def variants(base: IndexConfig) -> dict[str, IndexConfig]:
    return {
        "hybrid (default)": base,
        "hybrid rrf k=60": replace(
            base, fusion="rrf", rrf_k=60.0, dense_weight=1.0, strong_margin=0.0, verbatim_depth=0
        ),
        "hybrid blend 1.0": replace(
            base, fusion="blend", dense_weight=1.0, strong_margin=0.0, verbatim_depth=0
        ),
        "hybrid rrf k=20": replace(
            base, fusion="rrf", rrf_k=20.0, dense_weight=1.0, strong_margin=0.0, verbatim_depth=0
        ),
    }


def run_queries(index, queries, vectors, mode: str) -> dict[str, list[str]]:
    runs = {}
    for (qid, text), vector in zip(queries, vectors, strict=True):
        results = index.search(text, mode=mode, limit=DEPTH, highlight=False, query_vector=vector)
        runs[qid] = [h.id for h in results.hits]
    return runs


def query_vectors(embedder: MiniLMEmbedder, texts: list[str]) -> np.ndarray:
    """The queries' vectors as the product computes a typed query's."""
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([embedder.embed_query(t) for t in texts])


def evaluate(index, queries, qrels, embedder, *, judged_only=False) -> dict[str, float]:
    queries = [(q["_id"], q["text"]) for q in queries if q["_id"] in qrels]
    qvecs = query_vectors(embedder, [t for _, t in queries])
    rows = {}
    base = index.config
    plans = [("lexical", "lexical", base), ("dense", "dense", base)]
    plans += [(label, "hybrid", cfg) for label, cfg in variants(base).items()]
    for label, mode, cfg in plans:
        index.config = cfg
        start = time.perf_counter()
        runs = run_queries(index, queries, qvecs, mode)
        elapsed = (time.perf_counter() - start) / len(queries) * 1000
        nd = np.mean([ndcg(runs[q], qrels[q]) for q, _ in queries])
        rc = np.mean([recall(runs[q], qrels[q]) for q, _ in queries])
        line = f"  {label:<18} nDCG@10 {nd:.3f}  recall@100 {rc:.3f}"
        if judged_only:
            condensed = np.mean(
                [ndcg([d for d in runs[q] if d in qrels[q]], qrels[q]) for q, _ in queries]
            )
            share = np.mean([sum(d in qrels[q] for d in runs[q][:10]) / 10 for q, _ in queries])
            line += f"  condensed nDCG@10 {condensed:.3f}  judged@10 {share:.2f}"
        print(f"{line}  ({elapsed:.1f} ms/query)", flush=True)
        rows[label] = float(nd)
    index.config = base
    return rows


def small_set(name: str, embedder: MiniLMEmbedder) -> dict[str, float]:
    folder = DATA / "ir" / name
    corpus = read_jsonl(folder / "corpus.jsonl")
    docs = [
        Document(
            id=str(d["_id"]),
            title=d.get("title", "") or "",
            abstract=d.get("text", "") or "",
            authors=(d["authors"],) if d.get("authors") else (),
        )
        for d in corpus
    ]
    cache = OUT / f"{name}.vectors.npy"
    if cache.exists():
        vectors = np.load(cache)
    else:
        start = time.perf_counter()
        vectors = embedder.embed([d.embedding_text() for d in docs])
        print(f"  embedded {len(docs)} docs in {time.perf_counter() - start:.0f} s")
        np.save(cache, vectors)
    index = SearchIndex.rebuild(OUT / f"{name}.index", docs, embedder, vectors=vectors)
    qrels = read_qrels(folder / "qrels.tsv")
    print(f"{name}: {len(docs)} docs, {len(qrels)} judged queries")
    return evaluate(index, read_jsonl(folder / "queries.jsonl"), qrels, embedder)


def arxiv_index(embedder: MiniLMEmbedder) -> SearchIndex:
    path = OUT / "arxiv-142k.index"
    if (path / "manifest.json").exists():
        return SearchIndex.open(path, embedder)
    start = time.perf_counter()
    index = SearchIndex.rebuild(
        path, snapshot_papers(), embedder, vectors=snapshot_vectors(), total=142_094
    )
    print(f"  built the 142k index in {time.perf_counter() - start:.0f} s")
    return index


def half(qid: str) -> str:
    """The tuning half holds the odd-numbered queries, the test half the even ones."""
    digits = re.sub(r"\D", "", qid)
    return "tune" if int(digits or 0) % 2 else "test"


def rrf(runs: list[list[str]], k: float = 60.0) -> list[str]:
    """Naive reciprocal-rank fusion: each list adds 1 / (k + rank) to a paper's score."""
    score: dict[str, float] = {}
    for run in runs:
        for rank, doc in enumerate(run, 1):
            score[doc] = score.get(doc, 0.0) + 1.0 / (k + rank)
    return sorted(score, key=lambda d: -score[d])


def exact_dense(qvecs: np.ndarray, ids: list[str], k: int = DEPTH) -> list[list[str]]:
    """Exact MiniLM search: every corpus vector scored against each query."""
    corpus = snapshot_vectors()
    scores = np.asarray(qvecs, dtype=np.float32) @ corpus.T
    top = np.argsort(-scores, axis=1)[:, :k]
    return [[ids[i] for i in row] for row in top]


def split_table(
    index: SearchIndex,
    name: str,
    *,
    queries: list[dict],
    qrels: dict[str, dict[str, int]],
    embedder: MiniLMEmbedder,
    ids: list[str],
) -> None:
    """nDCG@10 per half (unjudged as 0 / condensed / judged share of the top 10)."""
    judged = [(q["_id"], q["text"]) for q in queries if q["_id"] in qrels]
    qvecs = query_vectors(embedder, [t for _, t in judged])
    runs: dict[str, dict[str, list[str]]] = {}
    for mode in ("lexical", "dense", "hybrid"):
        runs[mode] = run_queries(index, judged, qvecs, mode)
    exact = exact_dense(qvecs, ids)
    runs["exact MiniLM"] = {qid: run for (qid, _), run in zip(judged, exact, strict=True)}
    runs["naive RRF k=60"] = {
        qid: rrf([runs["lexical"][qid], runs["exact MiniLM"][qid]]) for qid, _ in judged
    }
    halves = {h: [q for q, _ in judged if half(q) == h] for h in ("tune", "test")}
    halves["all"] = [q for q, _ in judged]
    print(f"{name}: nDCG@10 per half (unjudged as 0 / condensed / judged share of the top 10)")
    header = "  " + " " * 16 + "".join(f"{h} ({len(qs)} q)".ljust(24) for h, qs in halves.items())
    print(header)
    for label, run in runs.items():
        line = f"  {label:<16}"
        for qs in halves.values():
            nd = np.mean([ndcg(run[q], qrels[q]) for q in qs])
            cond = np.mean([ndcg([d for d in run[q] if d in qrels[q]], qrels[q]) for q in qs])
            share = np.mean([sum(d in qrels[q] for d in run[q][:10]) / 10 for q in qs])
            line += f"{nd:.3f} / {cond:.3f} / {share:.2f}".ljust(24)
        print(line, flush=True)
    targets = {q["_id"]: q["target"] for q in queries if q.get("target")}
    if not targets:
        return
    print(f"{name}: MRR@10 of the paper each query was written from")
    for label, run in runs.items():
        line = f"  {label:<16}"
        for qs in halves.values():
            rr = [
                1 / (run[q][:10].index(targets[q]) + 1) if targets[q] in run[q][:10] else 0.0
                for q in qs
                if q in targets
            ]
            line += f"{np.mean(rr):.3f}".ljust(24)
        print(line, flush=True)


def dev_set(embedder: MiniLMEmbedder, name: str, ids: list[str]) -> None:
    folder = SPECIFIC if name == "arxiv-specific" else DATA / "ir" / name
    index = arxiv_index(embedder)
    qrels = read_qrels(folder / "qrels.tsv")
    print(f"{name}: {len(index)} docs, {len(qrels)} judged queries (unjudged count as 0)")
    queries = read_jsonl(folder / "queries.jsonl")
    evaluate(index, queries, qrels, embedder, judged_only=True)
    split_table(index, name, queries=queries, qrels=qrels, embedder=embedder, ids=ids)


def middle_sentence(paper: Document, split: re.Pattern[str]) -> str:
    sentences = [x for x in split.split(paper.abstract) if len(x.split()) >= 6]
    return sentences[len(sentences) // 2] if sentences else paper.title


def known_item(embedder: MiniLMEmbedder, n: int) -> None:
    index = arxiv_index(embedder)
    rng = np.random.default_rng(7)
    papers = list(snapshot_papers())
    picks = [papers[i] for i in rng.choice(len(papers), size=n, replace=False)]
    sentence_split = re.compile(r"(?<=[.!?])\s+")
    kinds = {
        "title": [p.title for p in picks],
        "abstract sentence": [middle_sentence(p, sentence_split) for p in picks],
    }
    print(f"known-item on the 142k corpus: {n} random papers, MRR@10")
    for kind, texts in kinds.items():
        qvecs = query_vectors(embedder, texts)
        line = f"  {kind:<18}"
        for mode in ("lexical", "dense", "hybrid"):
            rr = []
            for paper, text, vector in zip(picks, texts, qvecs, strict=True):
                hits = index.search(
                    text, mode=mode, limit=10, highlight=False, query_vector=vector
                ).hits
                found = [h.id for h in hits]
                rr.append(1 / (found.index(paper.id) + 1) if paper.id in found else 0.0)
            line += f"  {mode} {np.mean(rr):.3f}"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="cranfield,cacm,arxiv-dev,arxiv-specific,known-item")
    parser.add_argument("--known-items", type=int, default=500)
    parser.add_argument("--query-precision", choices=["int8", "float32"], default="int8")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedder(query_precision=args.query_precision)
    print(f"queries embedded by the {args.query_precision} query encoder")
    ids: list[str] = []
    for name in args.sets.split(","):
        if name in {"cranfield", "cacm"}:
            small_set(name, embedder)
        elif name in {"arxiv-dev", "arxiv-specific"}:
            ids = ids or [p.id for p in snapshot_papers()]
            dev_set(embedder, name, ids)
        elif name == "known-item":
            known_item(embedder, args.known_items)


if __name__ == "__main__":
    main()
