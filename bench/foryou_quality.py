"""Quality of personal picks ("For you") on simulated readers of the real 142k corpus.

    python bench/foryou_quality.py [--readers 500] [--sweep] [--variant own|coauthors]

Protocol. A reader is an author with at least 8 papers in the corpus (names as arXiv's
parsed author lists spell them). One global cut-off, 2026-03-01, splits time: the
reader's library is what they wrote before it, what they wrote after it is what they would
have wanted to be shown, and the candidates are every paper dated on or after it (47k, the
library left out), as a "For you" page ranks the new papers of a window for everyone at
once. A global cut-off (rather than one per reader at 70/30 of their own papers) keeps
every reader's candidates a window of new papers of the same kind the product ranks, and
keeps the baselines comparable across readers; readers need at least 4 papers before and
2 after it. Variant ``coauthors`` adds the reader's co-authors' earlier papers to the
library at half weight (relevant stays the reader's own later papers).

Readers are split in two by a hash of their name: the tuning half (knobs were chosen on
it only, ``--sweep`` prints the candidates measured) and the report half. Each half is
subsampled to ``--readers`` readers (seeded). Everything runs over one index of the 142k
papers with their shipped vectors (built once into bench/out/arxiv-142k.index, shared with
bench/search_quality.py).

Figures (means over readers): recall@10, recall@50 and nDCG@10 of ``recommend`` beside
two baselines measured in the same run: newest first in the reader's two most frequent
categories, and dense search with the library's mean vector (same filters).

Feedback: for each reader, up to 3 of their top 10 picks that are not relevant are marked
"not interested"; the next ranking excludes them either way, and is measured with and
without passing them as ``negatives`` (so the delta is the negative signal's own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import OUT, snapshot_papers, snapshot_vectors
from papersearch import Document, Filters, RecommendConfig, SearchIndex, build_profiles
from papersearch.ranking import allowed_rows

CUTOFF = dt.date(2026, 3, 1)
MIN_BEFORE, MIN_AFTER, MIN_PAPERS = 4, 2, 8
DEPTH = 50
COAUTHOR_WEIGHT = 0.5
DISMISS = 3


@dataclass(frozen=True)
class Reader:
    name: str
    library: tuple[str, ...]
    weights: tuple[float, ...]
    relevant: frozenset[str]
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    """A setting of the knobs: ``recommend``'s config and ``build_profiles``' ``most``."""

    config: RecommendConfig = field(default_factory=RecommendConfig)
    most: int = 12


def index_142k() -> SearchIndex:
    path = OUT / "arxiv-142k.index"
    if (path / "manifest.json").exists():
        return SearchIndex.open(path)
    start = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    index = SearchIndex.rebuild(path, snapshot_papers(), vectors=snapshot_vectors(), total=142_094)
    print(f"built the 142k index in {time.perf_counter() - start:.0f} s", flush=True)
    return index


def half_of(name: str) -> str:
    return "tuning" if hashlib.blake2b(name.encode()).digest()[0] % 2 == 0 else "report"


def make_readers(papers: Sequence[Document], variant: str) -> dict[str, list[Reader]]:
    by_author: dict[str, list[Document]] = defaultdict(list)
    for p in papers:
        for a in dict.fromkeys(p.authors):
            by_author[a].append(p)
    halves: dict[str, list[Reader]] = {"tuning": [], "report": []}
    for name, own in sorted(by_author.items()):
        if len(own) < MIN_PAPERS:
            continue
        before = [p for p in own if p.date is not None and p.date < CUTOFF]
        after = [p for p in own if p.date is not None and p.date >= CUTOFF]
        if len(before) < MIN_BEFORE or len(after) < MIN_AFTER:
            continue
        weights = dict.fromkeys((p.id for p in before), 1.0)
        if variant == "coauthors":
            for co in {a for p in before for a in p.authors} - {name}:
                for q in by_author[co]:
                    if q.date is not None and q.date < CUTOFF and q.id not in weights:
                        weights[q.id] = COAUTHOR_WEIGHT
        cats = Counter(c for p in before for c in p.categories)
        halves[half_of(name)].append(
            Reader(
                name=name,
                library=tuple(weights),
                weights=tuple(weights.values()),
                relevant=frozenset(p.id for p in after),
                categories=tuple(c for c, _ in cats.most_common(2)),
            )
        )
    return halves


def ndcg(ranked: Sequence[str], relevant: frozenset[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    idcg = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / idcg if idcg else 0.0


def recall(ranked: Sequence[str], relevant: frozenset[str], k: int) -> float:
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def figures(runs: Sequence[tuple[Sequence[str], frozenset[str]]]) -> tuple[float, ...]:
    return (
        float(np.mean([recall(r, rel, 10) for r, rel in runs])),
        float(np.mean([recall(r, rel, 50) for r, rel in runs])),
        float(np.mean([ndcg(r, rel) for r, rel in runs])),
    )


class Bench:
    def __init__(self, index: SearchIndex) -> None:
        self.index = index

    def filters(self, reader: Reader, extra: Sequence[str] = ()) -> Filters:
        return Filters(date_from=CUTOFF, exclude=frozenset(reader.library) | frozenset(extra))

    def foryou(self, reader: Reader, variant: Variant, negatives: Sequence[str] = ()) -> list[str]:
        ids, vectors = self.index.vectors_of(reader.library)
        weight = dict(zip(reader.library, reader.weights, strict=True))
        profiles = build_profiles(ids, vectors, [weight[i] for i in ids], most=variant.most)
        picks = self.index.recommend(
            profiles,
            negatives=negatives,
            filters=self.filters(reader, negatives),
            k=DEPTH,
            config=variant.config,
        )
        return [p.id for p in picks]

    def newest(self, reader: Reader) -> list[str]:
        filters = replace(self.filters(reader), categories=reader.categories)
        return [h.id for h in self.index.search("", filters, limit=DEPTH).hits]

    def mean_vector(self, reader: Reader) -> list[str]:
        ids, vectors = self.index.vectors_of(reader.library)
        weight = dict(zip(reader.library, reader.weights, strict=True))
        mean = (vectors * np.asarray([weight[i] for i in ids], np.float32)[:, None]).sum(0)
        gen = self.index.generation
        mask = allowed_rows(gen, self.filters(reader), dense=True)
        rows, _ = gen.dense.search(mean, DEPTH, allowed=mask)
        return gen.id_of(rows.tolist())


def measure(
    readers: Sequence[Reader], rank: Callable[[Reader], list[str]]
) -> tuple[tuple[float, ...], float]:
    start = time.perf_counter()
    runs = [(rank(r), r.relevant) for r in readers]
    return figures(runs), (time.perf_counter() - start) / max(len(readers), 1) * 1000


def pick_dismissed(bench: Bench, first: Sequence[str], reader: Reader, how: str) -> list[str]:
    """Up to DISMISS of the top 10 picks that are not relevant: the best ranked of them
    ("any"), or those least like anything the reader went on to write ("off-interest": a
    reader dismisses what is far from what they want, which their later papers stand for)."""
    wrong = [i for i in first[:10] if i not in reader.relevant]
    if how == "any" or len(wrong) <= DISMISS:
        return wrong[:DISMISS]
    _, wanted = bench.index.vectors_of(sorted(reader.relevant))
    ids, vectors = bench.index.vectors_of(wrong)
    nearness = (vectors @ wanted.T).max(axis=1)
    return [ids[i] for i in np.argsort(nearness, kind="stable")[:DISMISS].tolist()]


DISMISSALS = ("any", "off-interest")


def feedback(
    bench: Bench, readers: Sequence[Reader], variants: dict[str, Variant]
) -> dict[str, dict[str, tuple[float, ...]]]:
    """For each way of choosing what is dismissed: the next ranking's figures with the
    dismissed excluded only (negatives ignored) and with them as negatives, per variant."""
    ignore = Variant(replace(RecommendConfig(), negative_weight=0.0))
    runs: dict[str, dict[str, list[tuple[list[str], frozenset[str]]]]] = {}
    for r in readers:
        first = bench.foryou(r, Variant())
        for how in DISMISSALS:
            dismissed = pick_dismissed(bench, first, r, how)
            out = runs.setdefault(how, {})
            out.setdefault("excluded only", []).append(
                (bench.foryou(r, ignore, negatives=dismissed), r.relevant)
            )
            for label, variant in variants.items():
                out.setdefault(label, []).append(
                    (bench.foryou(r, variant, negatives=dismissed), r.relevant)
                )
    return {how: {k: figures(v) for k, v in out.items()} for how, out in runs.items()}


def line(label: str, values: tuple[float, ...], ms: float | None = None) -> str:
    r10, r50, nd = values
    out = f"  {label:<34} recall@10 {r10:.4f}  recall@50 {r50:.4f}  nDCG@10 {nd:.4f}"
    return out + (f"  ({ms:.0f} ms/reader)" if ms is not None else "")


def sweep_variants() -> dict[str, Variant]:
    base = RecommendConfig()
    return {
        "default": Variant(),
        "top_m 1": Variant(replace(base, top_m=1)),
        "top_m 2": Variant(replace(base, top_m=2)),
        "top_m 3": Variant(replace(base, top_m=3)),
        "top_m 5": Variant(replace(base, top_m=5)),
        "balance off": Variant(replace(base, balance=False)),
        "balance off, top_m 1": Variant(replace(base, balance=False, top_m=1)),
        "balance off, top_m 2": Variant(replace(base, balance=False, top_m=2)),
        "balance pool 2": Variant(replace(base, balance_pool=2)),
        "balance pool 2, top_m 1": Variant(replace(base, balance_pool=2, top_m=1)),
        "most 1 (one profile)": Variant(most=1),
        "most 4": Variant(most=4),
        "most 24": Variant(most=24),
        "every row scored in full": Variant(replace(base, score_pairs=10**12)),
        "shortlist always, per_profile 100": Variant(replace(base, score_pairs=0, per_profile=100)),
        "shortlist always, per_profile 200": Variant(replace(base, score_pairs=0, per_profile=200)),
        "shortlist always, per_profile 400": Variant(replace(base, score_pairs=0, per_profile=400)),
        "graph path, per_profile 200": Variant(replace(base, exact_rows=0, per_profile=200)),
        **{
            f"weight_cost {cost}": Variant(replace(base, weight_cost=cost))
            for cost in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
        },
    }


def negative_variants() -> dict[str, Variant]:
    base = RecommendConfig()
    out = {}
    for weight, floor, relative in (
        (0.5, 0.3, False),
        (0.5, 0.7, False),
        (0.5, 0.0, True),
        (1.0, 0.0, True),
        (0.5, 0.5, True),
        (1.0, 0.5, True),
        (1.0, 0.7, True),
        (2.0, 0.7, True),
    ):
        name = f"negative {weight} floor {floor}" + (" relative" if relative else "")
        out[name] = Variant(
            replace(base, negative_weight=weight, negative_floor=floor, negative_relative=relative)
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=500, help="per half")
    parser.add_argument("--variant", choices=("own", "coauthors"), default="own")
    parser.add_argument("--sweep", action="store_true", help="knob candidates, tuning half")
    parser.add_argument("--negatives-only", action="store_true", help="in --sweep")
    parser.add_argument("--half", choices=("tuning", "report"), default="tuning")
    parser.add_argument("--only", default="", help="in --sweep: labels, comma-separated")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    started = time.perf_counter()
    papers = list(snapshot_papers())
    index = index_142k()
    bench = Bench(index)
    halves = make_readers(papers, args.variant)
    rng = np.random.default_rng(args.seed)
    for name, readers in halves.items():
        total = len(readers)
        if total > args.readers:
            keep = sorted(rng.choice(total, size=args.readers, replace=False).tolist())
            halves[name] = [readers[i] for i in keep]
        sizes = [len(r.library) for r in halves[name]]
        print(
            f"{name} half: {len(halves[name])} of {total} readers; library "
            f"median {np.median(sizes):.0f} papers (max {max(sizes)}); relevant median "
            f"{np.median([len(r.relevant) for r in halves[name]]):.0f}",
            flush=True,
        )
    candidates = allowed_rows(index.generation, Filters(date_from=CUTOFF), dense=True)
    assert candidates is not None
    print(
        f"cut-off {CUTOFF}; {int(candidates.sum()):,} candidates; variant {args.variant}",
        flush=True,
    )
    if args.sweep:
        tuning = halves[args.half]
        only = {x.strip() for x in args.only.split(",") if x.strip()}

        def chosen(variants: dict[str, Variant]) -> dict[str, Variant]:
            return {k: v for k, v in variants.items() if not only or k in only}

        print(f"{args.half} half: knobs")
        for label, variant in ({} if args.negatives_only else chosen(sweep_variants())).items():
            values, ms = measure(tuning, lambda r, v=variant: bench.foryou(r, v))
            print(line(label, values, ms), flush=True)
        print(f"{args.half} half: feedback, the next ranking")
        for how, found in feedback(bench, tuning, chosen(negative_variants())).items():
            print(f"  {DISMISS} dismissed ({how}):")
            for label, values in found.items():
                print(line("  " + label, values), flush=True)
        return
    for name, readers in halves.items():
        print(f"{name} half ({len(readers)} readers), top {DEPTH}:")
        rows = {
            "newest in their 2 top categories": bench.newest,
            "mean library vector (dense)": bench.mean_vector,
            "For you (recommend, defaults)": lambda r: bench.foryou(r, Variant()),
        }
        for label, rank in rows.items():
            values, ms = measure(readers, rank)
            print(line(label, values, ms), flush=True)
        print(f"  feedback: {DISMISS} non-relevant top-10 picks marked not interested")
        for how, found in feedback(bench, readers, {"as negatives": Variant()}).items():
            print(f"    dismissed: {how}")
            for label, values in found.items():
                print(line("    " + label, values), flush=True)
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
