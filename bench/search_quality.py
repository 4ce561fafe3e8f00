"""Ranking quality of the lexical, dense and hybrid rankers side by side.

    python bench/search_quality.py [--sets cranfield,cacm,arxiv-dev,known-item]

nDCG@10 and recall@100 on cranfield, cacm and arxiv-dev (with unjudged-as-0, condensed
nDCG@10 and the judged share of the top 10), and a known-item test on the 142k corpus
(MRR@10 with the title as query, and with one sentence of the abstract). Corpus vectors of
the small sets are embedded once with the product's CPU path and cached in bench/out/;
the 142k corpus uses the shipped vectors. Queries are embedded with the model.
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


def evaluate(index, queries, qrels, embedder, *, judged_only=False) -> dict[str, float]:
    queries = [(q["_id"], q["text"]) for q in queries if q["_id"] in qrels]
    qvecs = embedder.embed([t for _, t in queries])
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


def arxiv_dev(embedder: MiniLMEmbedder) -> dict[str, float]:
    folder = DATA / "ir" / "arxiv-dev"
    index = arxiv_index(embedder)
    qrels = read_qrels(folder / "qrels.tsv")
    print(f"arxiv-dev: {len(index)} docs, {len(qrels)} judged queries (unjudged count as 0)")
    queries = read_jsonl(folder / "queries.jsonl")
    return evaluate(index, queries, qrels, embedder, judged_only=True)


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
        qvecs = embedder.embed(texts)
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
    parser.add_argument("--sets", default="cranfield,cacm,arxiv-dev,known-item")
    parser.add_argument("--known-items", type=int, default=500)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedder()
    for name in args.sets.split(","):
        if name in {"cranfield", "cacm"}:
            small_set(name, embedder)
        elif name == "arxiv-dev":
            arxiv_dev(embedder)
        elif name == "known-item":
            known_item(embedder, args.known_items)


if __name__ == "__main__":
    main()
