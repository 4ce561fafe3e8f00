"""Fusion settings side by side: every setting scored on every set in one run.

    python bench/search_fusion.py [--known-items 500]

For each setting of the hybrid ranker (reciprocal rank fusion k and dense weight, or a
min-max blend; the strong-match margin; the verbatim rule), the queries of cranfield, cacm,
arxiv-dev and the known-item sets (titles and abstract sentences of random papers of the
142k corpus) are run through ``SearchIndex.search`` with query vectors computed once, and
scored: nDCG@10 (arxiv-dev: unjudged as 0 / condensed) and MRR@10.
Run bench/search_quality.py first: it builds the indexes this reads.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import DATA, OUT, read_jsonl, read_qrels, snapshot_papers
from bench.search_quality import middle_sentence, ndcg
from papersearch import IndexConfig, MiniLMEmbedder, SearchIndex


def settings() -> list[tuple[str, IndexConfig]]:
    base = IndexConfig()
    plans = [("default", base)]
    fusions = {
        "rrf k=60": {"fusion": "rrf", "rrf_k": 60.0, "dense_weight": 1.0},
        "rrf k=20": {"fusion": "rrf", "rrf_k": 20.0, "dense_weight": 1.0},
        "blend 1.0": {"fusion": "blend", "dense_weight": 1.0},
    }
    for name, fusion in fusions.items():
        for margin in (0.0, 1.3):
            for words in (0, 6):
                plans.append(
                    (
                        f"{name} strong={margin} verbatim={words}",
                        replace(
                            base,
                            **fusion,  # type: ignore[arg-type]
                            strong_margin=margin,
                            verbatim_words=words or base.verbatim_words,
                            verbatim_depth=base.verbatim_depth if words else 0,
                        ),
                    )
                )
    return plans


def collect(embedder: MiniLMEmbedder, known: int) -> dict[str, dict]:
    sets: dict[str, dict] = {}
    for name in ("cranfield", "cacm", "arxiv-dev"):
        folder = DATA / "ir" / name
        qrels = read_qrels(folder / "qrels.tsv")
        queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
        texts = [q["text"] for q in queries]
        sets[name] = {
            "index": OUT / ("arxiv-142k.index" if name == "arxiv-dev" else f"{name}.index"),
            "texts": texts,
            "vectors": embedder.embed(texts),
            "qrels": [qrels[q["_id"]] for q in queries],
        }
    rng = np.random.default_rng(7)
    papers = list(snapshot_papers())
    picks = [papers[i] for i in rng.choice(len(papers), size=known, replace=False)]
    split = re.compile(r"(?<=[.!?])\s+")
    for kind, texts in (
        ("known-item title", [p.title for p in picks]),
        ("known-item sentence", [middle_sentence(p, split) for p in picks]),
    ):
        sets[kind] = {
            "index": OUT / "arxiv-142k.index",
            "texts": texts,
            "vectors": embedder.embed(texts),
            "target": [p.id for p in picks],
        }
    return sets


def score(name: str, data: dict, index: SearchIndex, mode: str) -> str:
    ranked = [
        [h.id for h in index.search(t, mode=mode, limit=100, highlight=False, query_vector=v).hits]
        for t, v in zip(data["texts"], data["vectors"], strict=True)
    ]
    if "target" in data:
        rr = [
            1 / (r[:10].index(t) + 1) if t in r[:10] else 0.0
            for r, t in zip(ranked, data["target"], strict=True)
        ]
        return f"{np.mean(rr):.3f}"
    plain = np.mean([ndcg(r, q) for r, q in zip(ranked, data["qrels"], strict=True)])
    if name != "arxiv-dev":
        return f"{plain:.3f}"
    condensed = np.mean(
        [ndcg([d for d in r if d in q], q) for r, q in zip(ranked, data["qrels"], strict=True)]
    )
    return f"{plain:.3f}/{condensed:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--known-items", type=int, default=500)
    args = parser.parse_args()
    sets = collect(MiniLMEmbedder(), args.known_items)
    indexes = {path: SearchIndex.open(path) for path in {d["index"] for d in sets.values()}}
    plans = [("lexical", "lexical", IndexConfig()), ("dense", "dense", IndexConfig())]
    plans += [(label, "hybrid", config) for label, config in settings()]
    print(f"{'setting':<40}" + "".join(f"{n:>22}" for n in sets))
    for label, mode, config in plans:
        row = f"{label:<40}"
        for name, data in sets.items():
            index = indexes[data["index"]]
            index.config = config
            row += f"{score(name, data, index, mode):>22}"
        print(row, flush=True)


if __name__ == "__main__":
    main()
