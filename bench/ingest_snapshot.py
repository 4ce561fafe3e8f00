"""Benchmark: import the 142k-paper snapshot, beside the naive way, on SQLite and PostgreSQL.

For each database it measures, on a fresh database each time:

* the baseline: the naive way, one ORM ``save()`` per paper (with its authors and categories
  looked up or created one by one), on the first 5,000 papers;
* the bulk importer (``dailypapers ingest snapshot``'s code path) on the whole file, with the
  process's resident memory sampled as the file is read, to show it stays flat.

Usage: python bench/ingest_snapshot.py [--file F] [--db sqlite,postgres] [--naive N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO.parent / "shared" / "data" / "arxiv-cc0-142k.jsonl.gz"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- child: runs inside a process configured for one fresh database -------------------------


def child_naive(path: Path, limit: int) -> dict[str, Any]:
    from dailypapers.catalog.links import find_links
    from dailypapers.catalog.models import Author, Category, Paper, PaperAuthor, PaperCategory
    from dailypapers.sources.snapshot import SnapshotFile, read_snapshot

    snapshot = SnapshotFile.open_path(path)
    done = 0
    started = time.perf_counter()
    for item, _ in read_snapshot(snapshot):
        if item.record is None:
            continue
        r = item.record.normalized()
        code, project = find_links(r.abstract, r.comments)
        paper = Paper(
            arxiv_id=r.arxiv_id,
            version=r.version or 1,
            title=r.title or "",
            abstract=r.abstract or "",
            author_names=r.authors or [],
            primary_category=r.primary_category or "",
            categories=r.categories or [],
            submitted=r.submitted,
            updated=r.updated,
            comments=r.comments or "",
            journal_ref=r.journal_ref or "",
            doi=r.doi or "",
            report_no=r.report_no or "",
            license=r.license or "",
            code_links=code,
            project_page=project,
            last_source="snapshot",
        )
        paper.save()
        for position, name in enumerate(r.authors or []):
            author, _ = Author.objects.get_or_create(name=name)
            PaperAuthor.objects.create(paper=paper, author=author, position=position)
        for code_ in r.categories or []:
            category, _ = Category.objects.get_or_create(code=code_)
            PaperCategory.objects.create(paper=paper, category=category)
        done += 1
        if done >= limit:
            break
    elapsed = time.perf_counter() - started
    return {"papers": done, "seconds": elapsed, "rate": done / elapsed}


def child_bulk(path: Path) -> dict[str, Any]:
    from dailypapers.sources.models import IngestRun
    from dailypapers.sources.runner import ingest
    from dailypapers.sources.snapshot import SnapshotFile, read_snapshot

    snapshot = SnapshotFile.open_path(path)
    run = IngestRun.objects.create(source="snapshot", key=snapshot.key)
    samples: list[tuple[float, float]] = []
    state = {"read": 0}

    def items() -> Any:
        for item, read in read_snapshot(snapshot):
            state["read"] = read
            yield item

    def sample(r: IngestRun) -> None:
        samples.append((state["read"] / snapshot.size, rss_mb()))

    started = time.perf_counter()
    ingest(run, items(), on_batch=sample)
    elapsed = time.perf_counter() - started

    def at(share: float) -> float:
        return next(mb for frac, mb in samples if frac >= share - 1e-9)

    return {
        "papers": run.added,
        "rejected": run.rejected,
        "seconds": elapsed,
        "rate": run.added / elapsed,
        "rss": {f"{int(s * 100)}%": round(at(s), 1) for s in (0.1, 0.25, 0.5, 0.75, 1.0)},
    }


# --- parent: fresh databases, one child per measurement --------------------------------------


def fresh_env(db: str, workdir: Path) -> tuple[dict[str, str], str | None]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DAILYPAPERS_DATA_DIR"] = str(workdir / uuid.uuid4().hex[:8])
    env["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    env["LOG_LEVEL"] = "ERROR"
    scratch = None
    if db == "postgres":
        import psycopg

        scratch = f"dailypapers_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{scratch}"')
        env["DATABASE_URL"] = f"{PG}/{scratch}"
        env["SECRET_KEY"] = "bench-only"
    subprocess.run([sys.executable, "-m", "dailypapers.cli", "migrate", "-v0"], env=env, check=True)
    return env, scratch


def drop(scratch: str | None) -> None:
    if scratch:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def measure(db: str, what: str, path: Path, naive: int, workdir: Path) -> dict[str, Any]:
    env, scratch = fresh_env(db, workdir)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", what, "--file", str(path), "--naive", str(naive)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        return dict(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        drop(scratch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--naive", type=int, default=5000, help="papers for the baseline")
    parser.add_argument("--child", choices=["naive", "bulk"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        import django

        django.setup()
        if args.child == "naive":
            result = child_naive(args.file, args.naive)
        else:
            result = child_bulk(args.file)
        print(json.dumps(result))
        return

    print(f"Snapshot import benchmark: {args.file.name}, {os.cpu_count()} CPUs")
    print(
        f"{'database':<10} {'naive save() (baseline)':>26} {'bulk importer':>30} "
        f"{'speed-up':>9}   resident memory as the file is read (MB)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for db in args.db.split(","):
            base = measure(db, "naive", args.file, args.naive, Path(tmp))
            bulk = measure(db, "bulk", args.file, args.naive, Path(tmp))
            rss = "  ".join(f"{k} {v:.0f}" for k, v in bulk["rss"].items())
            print(
                f"{db:<10} {base['rate']:>10,.0f} papers/s ({base['papers']:,}) "
                f"{bulk['rate']:>10,.0f} papers/s ({bulk['papers']:,} in {bulk['seconds']:.1f} s)"
                f" {bulk['rate'] / base['rate']:>8.1f}x   {rss}"
            )
            sys.stdout.flush()
    print(
        "targets: bulk >= 20x the naive baseline; the whole 142k file in < 60 s on SQLite; "
        "memory flat as the file grows"
    )


if __name__ == "__main__":
    main()
