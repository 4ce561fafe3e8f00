"""API speed: the Hugging Face-compatible ``/api/daily_papers`` and ``/api/papers/search``
under load, beside the same data as HTML pages (the daily page, the search page) and a
trivial Django view, all served by the production web server (`dailypapers serve`,
gunicorn) in the same run.

    # once: the 142k catalogue, its search index (from the shipped MiniLM vectors, nothing
    # is embedded) and a featured community
    export DAILYPAPERS_DATA_DIR=/tmp/dpbench
    dailypapers migrate && dailypapers ingest snapshot ../shared/data/arxiv-cc0-142k.jsonl.gz
    python bench/seed_community.py --days 200 --papers 2000 --votes 50000
    python bench/api_speed.py --prepare
    # then
    python bench/api_speed.py --workers 2 --clients 1 10 50 --seconds 10

    # at 2.5M papers: a copy of that data folder, topped up with recombined papers (about
    # 25 minutes on 2 cores, 15 GB on disk), then the search half
    cp -r /tmp/dpbench /tmp/dpbench-2.5m && export DAILYPAPERS_DATA_DIR=/tmp/dpbench-2.5m
    python bench/api_speed.py --prepare --size 2500000
    python bench/api_speed.py --only search --workers 2 --clients 1 10 50 --rates 25 50

The load comes from a second process on loopback (wrk with a Lua script that cycles through
the paths when wrk is installed, else the asyncio client of bench/web_speed.py). The daily
list is asked for on 40 different featured days, the search with 200 different queries
(``--queries``; titles' first words, some cut mid-word as a reader types), each JSON
endpoint with exactly the paths its HTML page gets; each run starts at a random place in the
list, so that with many queries (``--queries 20000``) a run meets few queries whose vectors
an earlier run left in the shared cache. ``--only daily`` or ``--only search`` runs one half.
``--rates 50 100`` then offers each load (requests/s, evenly spaced over the most clients, an
open loop: latency counts from when a request was due) to every endpoint: wrk's closed loop
saturates the server, so there p50 is about clients / throughput whatever the server does.
Targets: each JSON endpoint at least the throughput of its HTML page, ``/api/daily_papers``
at 50 clients with p99 under 50 ms, and the search at 50 clients 100 requests/s with p99
under 150 ms (142k papers)."""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import start_server
from bench.web_speed import load, load_rate, load_wrk

DAYS = 40
ROTATE = random.Random(7)
QUERIES = 200
SYNTHETIC = "syn."  # the ids of the recombined papers ``--prepare --size`` adds


def prepare(size: int = 0) -> None:
    """Index the catalogue with the shipped vectors of its papers (no embedding). With
    ``size`` above the catalogue's, first add recombined papers to the database until it
    holds that many (``bench/search_speed.py``'s corpus: titles and abstracts from real
    papers' words and sentences, vectors real ones plus noise; ids ``syn.NNNNNNNN``), and
    index them too. Blocks already in the database are kept, so an interrupted run goes on."""
    import datetime as dt

    import numpy as np
    from django.conf import settings
    from django.db import transaction

    from bench.digest_speed import snapshot_ids, unit_vectors
    from bench.search_speed import build_progress, synthetic
    from dailypapers.catalog.models import Paper
    from dailypapers.search.keeper import DOCUMENT_FIELDS, paper_document
    from papersearch import SearchIndex

    started = time.perf_counter()
    row_of = {pid: i for i, pid in enumerate(snapshot_ids())}
    vectors = unit_vectors()
    docs, rows = [], []
    real = Paper.objects.exclude(arxiv_id__startswith=SYNTHETIC)
    for paper in real.order_by("pk").only(*DOCUMENT_FIELDS).iterator(chunk_size=5000):
        row = row_of.get(paper.arxiv_id)
        if row is not None:
            docs.append(paper_document(paper))
            rows.append(row)
    blocks = [vectors[np.asarray(rows)].astype(np.float16)]
    del vectors
    if size > len(docs):
        made = iter(synthetic(list(docs), blocks[0].astype(np.float32), size))
        next(made)  # the real papers themselves
        for block_docs, block_vectors in made:
            first, last = block_docs[0].id, block_docs[-1].id
            stored = Paper.objects.filter(arxiv_id__gte=first, arxiv_id__lte=last)
            papers = [
                Paper(
                    arxiv_id=d.id,
                    title=d.title,
                    abstract=d.abstract,
                    author_names=list(d.authors),
                    primary_category=d.categories[0] if d.categories else "",
                    categories=list(d.categories),
                    submitted=dt.datetime.combine(d.date, dt.time(), tzinfo=dt.UTC)
                    if d.date
                    else None,
                    last_source="bench",
                    needs_index=False,
                )
                for d in block_docs
            ]
            if stored.count() != len(papers):
                with transaction.atomic():
                    stored.delete()
                    Paper.objects.bulk_create(papers, batch_size=2000)
            docs.extend(paper_document(p) for p in papers)
            blocks.append(block_vectors.astype(np.float16))
            print(
                f"  catalogue {len(docs):,}/{size:,} at {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    index = Path(settings.SEARCH_INDEX_DIR)
    if index.exists():
        shutil.rmtree(index)
    built = time.perf_counter()
    all_vectors = np.concatenate(blocks)
    del blocks
    SearchIndex.rebuild(
        index, docs, vectors=all_vectors, progress=build_progress(built), total=len(docs)
    )
    Paper.objects.filter(needs_index=True).update(needs_index=False)
    print(f"search index: {len(docs):,} papers in {time.perf_counter() - built:.0f} s")


def workload(seed: int, queries_wanted: int = QUERIES) -> dict[str, list[str]]:
    """The paths each endpoint is asked for: the same days and queries for JSON and HTML."""
    from dailypapers.catalog.models import Paper
    from dailypapers.community.models import DailyEntry

    rng = random.Random(seed)
    days = sorted(set(DailyEntry.objects.values_list("day", flat=True)), reverse=True)[:DAYS]
    if not days:
        raise SystemExit("no featured papers: run bench/seed_community.py first")
    real = Paper.objects.exclude(arxiv_id__startswith=SYNTHETIC)  # queries as readers type them
    titles = real.order_by("?").values_list("title", flat=True)[: queries_wanted * 2]
    queries = []
    for title in titles:
        words = re.findall(r"[A-Za-z][A-Za-z-]+", title)
        if len(words) < 2:
            continue
        words = words[: rng.randint(1, min(5, len(words)))]
        if rng.random() < 0.3 and len(words[-1]) > 4:  # still being typed
            words[-1] = words[-1][: rng.randint(3, len(words[-1]) - 1)]
        queries.append(" ".join(words))
        if len(queries) == queries_wanted:
            break
    quote = urllib.parse.quote
    return {
        "trivial view": ["/hello"],
        "daily page (HTML)": [f"/papers/date/{d.isoformat()}" for d in days],
        "/api/daily_papers?date=": [f"/api/daily_papers?date={d.isoformat()}" for d in days],
        "/api/daily_papers": ["/api/daily_papers"],
        "search page (HTML)": [f"/search?q={quote(q)}" for q in queries],
        "/api/papers/search": [f"/api/papers/search?q={quote(q)}&limit=20" for q in queries],
    }


LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


def load_paths(port: int, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    """Load over many paths: wrk cycling through them with a Lua script, else the asyncio
    client on the first path of each client in turn."""
    if len(paths) == 1 or not shutil.which("wrk") or os.environ.get("WEB_SPEED_PYTHON_CLIENT"):
        if len(paths) == 1:
            return load(port, paths[0], clients, seconds)
        # without wrk: the asyncio client, one path per run, results pooled by count
        rounds = [load(port, p, clients, seconds / min(len(paths), 5)) for p in paths[:5]]
        total = sum(r["requests"] for r in rounds)
        return {
            "requests": total,
            "rps": total / seconds,
            "p50_ms": sorted(r["p50_ms"] for r in rounds)[len(rounds) // 2],
            "p99_ms": max(r["p99_ms"] for r in rounds),
            "errors": sum(r["errors"] for r in rounds),
        }
    start = ROTATE.randrange(len(paths))  # each run from elsewhere in the list: with many
    paths = paths[start:] + paths[:start]  # queries, a run meets few that an earlier one did
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % ", ".join(json.dumps(p) for p in paths))
    try:
        return load_wrk(port, paths[0], clients, seconds, script=script.name)
    finally:
        Path(script.name).unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", action="store_true", help="build the search index, then stop")
    parser.add_argument(
        "--size",
        type=int,
        default=0,
        help="with --prepare: add recombined papers until the catalogue holds this many",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--queries", type=int, default=QUERIES, help="different search queries (cycled)"
    )
    parser.add_argument(
        "--only", choices=["daily", "search"], help="the daily lists, or the search, alone"
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="*",
        default=[],
        help="then offer each of these loads (requests/s, an open loop) from the most clients",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    import django

    django.setup()
    if args.prepare:
        prepare(args.size)
        return
    paths = workload(args.seed, args.queries)
    if args.only:
        left_out = "search" if args.only == "daily" else "daily"
        paths = {name: some for name, some in paths.items() if left_out not in name}
    # the load comes from one address: no rate limit
    with start_server(
        workers=args.workers, threads=args.threads, env={"DAILYPAPERS_RATE_API": "0/m"}, timeout=300
    ) as port:
        for name, some in paths.items():  # every path answers 200 before it is measured
            for path in some[:3]:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
                    if r.status != 200:
                        raise SystemExit(f"{name}: {path} answered {r.status}")
        generator = "wrk" if shutil.which("wrk") else "the asyncio client"
        print(
            f"{args.workers} workers x {args.threads} threads ({generator}), "
            f"{args.seconds:.0f} s per row, on {os.cpu_count()} CPUs; "
            f"{DAYS} days, {args.queries} queries"
        )
        table: dict[int, dict[str, dict[str, float]]] = {}
        for clients in args.clients:
            table[clients] = {}
            print(f"\n{clients} clients")
            print(f"{'endpoint':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
            for name, some in paths.items():
                load_paths(port, some, clients, args.warmup)
                r = load_paths(port, some, clients, args.seconds)
                table[clients][name] = r
                print(
                    f"{name:<26} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                    f"{r['errors']:>6.0f}"
                )
            row = table[clients]
            ratios = []
            for what, json_name, html_name in (
                ("daily", "/api/daily_papers?date=", "daily page (HTML)"),
                ("search", "/api/papers/search", "search page (HTML)"),
            ):
                if json_name in row:
                    ratios.append(f"{what} {row[json_name]['rps'] / row[html_name]['rps']:.2f}x")
            print("JSON / HTML: " + ", ".join(ratios))
        offered: dict[float, dict[str, dict[str, float]]] = {}
        clients = max(args.clients)
        for rate in args.rates:
            offered[rate] = {}
            print(f"\n{rate:.0f} requests/s offered by {clients} clients (open loop)")
            print(f"{'endpoint':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
            for name, some in paths.items():
                start = ROTATE.randrange(len(some))
                turn = some[start:] + some[:start]
                load_rate(port, turn, clients, args.warmup, rate)
                r = load_rate(port, turn, clients, args.seconds, rate)
                offered[rate][name] = r
                print(
                    f"{name:<26} {r['rps']:>8.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                    f"{r['errors']:>6.0f}"
                )
        print(
            json.dumps(
                {
                    "paths": {k: v[:3] for k, v in paths.items()},
                    "results": table,
                    "offered": offered,
                }
            )
        )


if __name__ == "__main__":
    main()
