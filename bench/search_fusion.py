"""Fusion settings side by side, on lists computed once per query.

    python bench/search_fusion.py

For every query of cranfield, cacm, arxiv-dev and the known-item sets (titles and abstract
sentences of 500 random papers of the 142k corpus), the lexical and dense top 100 are
computed once (cached in bench/out/fusion-lists.pkl); then each fusion setting is scored on
every set from those same lists: nDCG@10 (arxiv-dev: unjudged as 0 and condensed) and MRR@10.
Run bench/search_quality.py first: it builds the indexes this reads.
"""

from __future__ import annotations

import pickle
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import DATA, OUT, read_jsonl, read_qrels, snapshot_papers
from bench.search_quality import middle_sentence, ndcg
from papersearch import Filters, MiniLMEmbedder, SearchIndex
from papersearch.fusion import fuse
from papersearch.query import parse

DEPTH = 100


def lists(index: SearchIndex, texts: list[str], vectors: np.ndarray) -> list[tuple]:
    out = []
    for text, vector in zip(texts, vectors, strict=True):
        parsed = parse(text)
        lexical, _ = index._rankers.lexical(parsed, Filters(), DEPTH)
        dense = index._rankers.dense(parsed, Filters(), DEPTH, vector)
        out.append((lexical, dense))
    return out


def collect(embedder: MiniLMEmbedder) -> dict[str, dict]:
    sets: dict[str, dict] = {}
    for name in ("cranfield", "cacm"):
        folder = DATA / "ir" / name
        index = SearchIndex.open(OUT / f"{name}.index", embedder)
        qrels = read_qrels(folder / "qrels.tsv")
        queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
        texts = [q["text"] for q in queries]
        sets[name] = {
            "kind": "ndcg",
            "ids": index,
            "lists": lists(index, texts, embedder.embed(texts)),
            "qrels": [qrels[q["_id"]] for q in queries],
        }
    index = SearchIndex.open(OUT / "arxiv-142k.index", embedder)
    folder = DATA / "ir" / "arxiv-dev"
    qrels = read_qrels(folder / "qrels.tsv")
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
    texts = [q["text"] for q in queries]
    sets["arxiv-dev"] = {
        "kind": "ndcg",
        "lists": lists(index, texts, embedder.embed(texts)),
        "qrels": [qrels[q["_id"]] for q in queries],
    }
    rng = np.random.default_rng(7)
    papers = list(snapshot_papers())
    picks = [papers[i] for i in rng.choice(len(papers), size=500, replace=False)]
    split = re.compile(r"(?<=[.!?])\s+")
    for kind, texts in (
        ("known-item title", [p.title for p in picks]),
        ("known-item sentence", [middle_sentence(p, split) for p in picks]),
    ):
        sets[kind] = {
            "kind": "mrr",
            "lists": lists(index, texts, embedder.embed(texts)),
            "target": [p.id for p in picks],
        }
    for name in list(sets):
        index = SearchIndex.open(
            OUT / (f"{name}.index" if name in ("cranfield", "cacm") else "arxiv-142k.index")
        )
        sets[name]["lists"] = [
            tuple((index.id_of(rows.tolist()), scores.astype(np.float64)) for rows, scores in pair)
            for pair in sets[name]["lists"]
        ]
        sets[name].pop("ids", None)
    return sets


def score(data: dict, ranked: list[list[str]]) -> str:
    if data["kind"] == "mrr":
        rr = [
            1 / (r[:10].index(t) + 1) if t in r[:10] else 0.0
            for r, t in zip(ranked, data["target"], strict=True)
        ]
        return f"{np.mean(rr):.3f}"
    plain = np.mean([ndcg(r, q) for r, q in zip(ranked, data["qrels"], strict=True)])
    if "arxiv" not in str(data.get("name", "")):
        return f"{plain:.3f}"
    condensed = np.mean(
        [ndcg([d for d in r if d in q], q) for r, q in zip(ranked, data["qrels"], strict=True)]
    )
    return f"{plain:.3f}/{condensed:.3f}"


def run(data: dict, how: str, **kw: float) -> list[list[str]]:
    ranked = []
    for (lex_ids, lex_s), (den_ids, den_s) in data["lists"]:
        if how == "lexical":
            ranked.append(lex_ids)
            continue
        if how == "dense":
            ranked.append(den_ids)
            continue
        ids = sorted(set(lex_ids) | set(den_ids))
        pos = {d: i for i, d in enumerate(ids)}
        lex = (np.asarray([pos[d] for d in lex_ids], np.int64), np.asarray(lex_s, np.float32))
        den = (np.asarray([pos[d] for d in den_ids], np.int64), np.asarray(den_s, np.float32))
        rows, _ = fuse(lex, den, how, **kw)
        ranked.append([ids[r] for r in rows.tolist()])
    return ranked


def main() -> None:
    cache = OUT / "fusion-lists.pkl"
    if cache.exists():
        sets = pickle.loads(cache.read_bytes())  # noqa: S301 (our own cache file)
    else:
        sets = collect(MiniLMEmbedder())
        cache.write_bytes(pickle.dumps(sets))
    for name, data in sets.items():
        data["name"] = name
    plans: list[tuple[str, str, dict]] = [
        ("lexical", "lexical", {}),
        ("dense", "dense", {}),
        ("rrf k=60 (before)", "rrf", {"k": 60, "dense_weight": 1.0}),
    ]
    for k in (20, 60):
        for w in (3.0, 5.0, 8.0):
            for margin in (0.0, 1.1, 1.2):
                plans.append(
                    (
                        f"rrf k={k} wd={w} pin={margin}",
                        "rrf",
                        {"k": k, "dense_weight": w, "pin": margin},
                    )
                )
            for margin in (1.05, 1.1, 1.2, 1.3):
                for sw in (0.3, 0.5):
                    plans.append(
                        (
                            f"rrf k={k} wd={w} strong={margin}:{sw}",
                            "rrf",
                            {"k": k, "dense_weight": w, "pin": margin, "strong_dense_weight": sw},
                        )
                    )
    header = f"{'setting':<28}" + "".join(f"{n:>22}" for n in sets)
    print(header)
    for label, how, kw in plans:
        row = f"{label:<28}" + "".join(f"{score(d, run(d, how, **kw)):>22}" for d in sets.values())
        print(row, flush=True)


if __name__ == "__main__":
    main()
