"""Where a dense-only hit stops meaning anything: MiniLM cosine of real and nonsense queries.

    python bench/dense_floor.py [--nonsense 300] [--titles 300]

Exact cosine (every row scanned) of the shipped 142k vectors against three kinds of query,
embedded by the product's query path:

- the arxiv-dev queries, and the cosine of each paper judged for them (grade 1-3) that the
  dense side ranks in its top 100: the hits a floor must keep;
- titles of random papers (known items): the cosine of the paper itself;
- nonsense: one to four made-up words of random letters ("qwxz blorft vemp"), seeded: the
  best cosine any paper reaches, which a floor must not.

For each candidate floor it prints the share of judged hits (by grade) and known items kept
and the share of nonsense queries left with any dense hit; docs/search.md gives the chosen
floor (``papersearch.index.IndexConfig.dense_floor``) and the figures.
"""

from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import DATA, read_jsonl, read_qrels, snapshot_papers, snapshot_vectors
from papersearch import MiniLMEmbedder

FLOORS = [0.20, 0.25, 0.28, 0.30, 0.32, 0.35, 0.38, 0.40, 0.45]
VOWELS = "aeiouy"


def nonsense(rng: np.random.Generator, n: int) -> list[str]:
    """Made-up words: consonant runs with the odd vowel, 3-8 letters, 1-4 words a query."""
    out = []
    consonants = [c for c in string.ascii_lowercase if c not in VOWELS]
    for _ in range(n):
        words = []
        for _ in range(int(rng.integers(1, 5))):
            length = int(rng.integers(3, 9))
            letters = [
                str(rng.choice(list(VOWELS))) if rng.random() < 0.3 else str(rng.choice(consonants))
                for _ in range(length)
            ]
            words.append("".join(letters))
        out.append(" ".join(words))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nonsense", type=int, default=300)
    parser.add_argument("--titles", type=int, default=300)
    args = parser.parse_args()
    vectors = snapshot_vectors()
    papers = list(snapshot_papers())
    row_of = {p.id: i for i, p in enumerate(papers)}
    embedder = MiniLMEmbedder()
    rng = np.random.default_rng(16)

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([embedder.embed_query(t) for t in texts]).astype(np.float32)

    folder = DATA / "ir" / "arxiv-dev"
    qrels = read_qrels(folder / "qrels.tsv")
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
    judged: dict[int, list[float]] = {1: [], 2: [], 3: []}
    best_real = []
    for query, qv in zip(queries, embed([q["text"] for q in queries]), strict=True):
        scores = vectors @ qv
        top = np.argpartition(-scores, 100)[:100]
        best_real.append(float(scores[top].max()))
        in_top = set(top.tolist())
        for doc, grade in qrels[query["_id"]].items():
            row = row_of.get(doc)
            if grade > 0 and row is not None and row in in_top:
                judged[grade].append(float(scores[row]))
    picks = [papers[i] for i in rng.choice(len(papers), size=args.titles, replace=False)]
    own = [
        float(vectors[row_of[p.id]] @ qv)
        for p, qv in zip(picks, embed([p.title for p in picks]), strict=True)
    ]
    made_up = nonsense(rng, args.nonsense)
    best_nonsense = [float((vectors @ qv).max()) for qv in embed(made_up)]

    def spread(name: str, values: list[float]) -> None:
        q = np.quantile(values, [0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0])
        cells = " ".join(f"{v:.3f}" for v in q)
        print(f"  {name:<34} n={len(values):<5} min/1%/5%/50%/95%/99%/max {cells}")

    print("cosine quantiles")
    for grade in (3, 2, 1):
        spread(f"arxiv-dev judged {grade}, dense top 100", judged[grade])
    spread("arxiv-dev best hit", best_real)
    spread("known item: title -> its paper", own)
    spread("nonsense: best hit", best_nonsense)
    worst = sorted(zip(best_nonsense, made_up, strict=True), reverse=True)[:5]
    print("  nonsense nearest the corpus: " + "; ".join(f"{t!r} {s:.3f}" for s, t in worst))
    print("floor  kept: grade3  grade2  grade1  known-item | nonsense with a dense hit")
    for floor in FLOORS:
        kept = [np.mean(np.asarray(judged[g]) >= floor) for g in (3, 2, 1)]
        items = np.mean(np.asarray(own) >= floor)
        noise = np.mean(np.asarray(best_nonsense) >= floor)
        cells = "  ".join(f"{k:.3f}" for k in kept)
        print(f"{floor:.2f}   {cells}   {items:.3f}     | {noise:.3f}")


if __name__ == "__main__":
    main()
