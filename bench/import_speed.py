"""Benchmark: import a 5,000-entry BibTeX library into a collection, against a catalogue of
real papers (the first 20,000 of the 142k snapshot) in a fresh SQLite database.

The library is made like a real one: 40% of the entries name an arXiv id the catalogue holds
(Better BibTeX's eprint fields, Zotero's url and note, Google Scholar's "arXiv preprint"
journal), 20% a DOI it holds, 25% only a title (re-cased, with TeX braces and accents, as
Scholar and Zotero write them), 15% nothing it knows (other arXiv ids, DOIs and titles).
Fetching from arXiv is off, so unknown ids are reported, not fetched.

It prints, beside the baseline of merely parsing the file (bibtexparser), the whole job's
entries per second, the one pass over the catalogue that DOI and title matching costs (and
what that pass would cost at 2.5M papers), and peak memory, for the full library and for half
of it: the job settles entries in batches, so memory follows the parsed file, not the ORM.

Usage: python bench/import_speed.py [--entries 5000] [--papers 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from itertools import islice
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT = REPO.parent / "shared" / "data" / "arxiv-cc0-142k.jsonl.gz"


def setup(workdir: Path) -> None:
    os.environ["DAILYPAPERS_DATA_DIR"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    os.environ["DAILYPAPERS_FETCH_MISSING_PAPERS"] = "0"
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_papers(count: int) -> list[tuple[str, str]]:
    """The first ``count`` papers of the snapshot into the catalogue; (arXiv id, title)."""
    from dailypapers.catalog.models import Paper
    from dailypapers.catalog.upsert import upsert_papers
    from dailypapers.sources.snapshot import SnapshotFile, read_snapshot

    snapshot = SnapshotFile.open_path(SNAPSHOT)
    records = (
        item.record for item, _ in read_snapshot(snapshot, workers=0) if item.record is not None
    )
    while batch := list(islice(records, 2000)):
        upsert_papers(batch, source="bench")
        if Paper.objects.count() >= count:
            break
    # The CC0 snapshot carries no DOIs: give a fifth of the papers one, as journals would.
    papers = list(Paper.objects.order_by("pk").values_list("pk", "arxiv_id", "title")[:count])
    Paper.objects.exclude(pk__in=[p[0] for p in papers]).delete()
    for pk, _, _ in papers[::5]:
        Paper.objects.filter(pk=pk).update(doi=f"10.1103/PhysRevD.{pk}.{pk % 97}")
    return [(a, t) for _, a, t in papers]


def tex(title: str, rng: random.Random) -> str:
    """A title as a reference manager writes it: words in braces, re-cased, an accent."""
    words = title.split()
    out = []
    for word in words:
        if word[:1].isupper() and rng.random() < 0.4:
            out.append("{" + word + "}")
        elif rng.random() < 0.2:
            out.append(word.lower())
        else:
            out.append(word)
    return " ".join(out).replace("é", "{\\'e}").replace("ü", '{\\"u}')


def library(papers: list[tuple[str, str]], entries: int, seed: int = 7) -> str:
    from dailypapers.catalog.models import Paper

    rng = random.Random(seed)
    dois = list(Paper.objects.exclude(doi="").values_list("doi", "title"))
    chosen = rng.sample(papers, k=min(len(papers), entries))
    parts = []
    for n in range(entries):
        arxiv_id, title = chosen[n % len(chosen)]
        authors = 'Lovelace, Ada and Turing, Alan M. and M{\\"u}ller, J{\\"o}rg'
        share = n % 20
        if share < 8:  # an arXiv id, three ways
            how = (
                f"  eprint = {{{arxiv_id}}},\n  archiveprefix = {{arXiv}},\n"
                "  primaryclass = {cs.LG},\n"
                if share < 3
                else f"  url = {{http://arxiv.org/abs/{arxiv_id}v2}},\n"
                f"  note = {{arXiv:{arxiv_id} [cs]}},\n"
                if share < 6
                else f"  journal = {{arXiv preprint arXiv:{arxiv_id}}},\n"
            )
            kind = "misc" if share < 6 else "article"
        elif share < 12:  # a DOI the catalogue has
            doi, title = dois[n % len(dois)]
            how, kind = f"  doi = {{{doi}}},\n  journal = {{Physical Review D}},\n", "article"
        elif share < 17:  # a title only
            how, kind = "  booktitle = {Proceedings of the Conference},\n", "inproceedings"
        else:  # nothing the catalogue knows
            title = f"A study of unknown things number {n}"
            how = (
                f"  eprint = {{2601.{n:05d}}},\n  archiveprefix = {{arXiv}},\n"
                if n % 2
                else f"  doi = {{10.5555/unknown.{n}}},\n"
            )
            kind = "article"
        parts.append(
            f"@{kind}{{entry{n},\n  title = {{{tex(title, rng)}}},\n  author = {{{authors}}},\n"
            f"{how}  year = {{{2000 + n % 25}}},\n  abstract = {{We study things. "
            + "Results follow. " * 20
            + "},\n}\n"
        )
    return "\n".join(parts)


def run_import(text: str, name: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from dailypapers.library.imports import job
    from dailypapers.library.models import Collection, LibraryImport

    user, _ = get_user_model().objects.get_or_create(username="bench")
    collection, _ = Collection.objects.get_or_create(owner=user, slug=name, defaults={"name": name})
    created = LibraryImport.objects.create(
        owner=user, collection=collection, format="bibtex", text=text
    )
    started = time.perf_counter()
    job.run(created.pk)
    elapsed = time.perf_counter() - started
    created.refresh_from_db()
    counts: dict[str, int] = {}
    for outcome, by in created.entries.values_list("outcome", "matched_by"):
        key = f"{outcome}{'/' + by if by else ''}"
        counts[key] = counts.get(key, 0) + 1
    return {"seconds": elapsed, "state": created.state, "counts": counts}


def traced(function: Any, *args: Any) -> tuple[Any, float]:
    tracemalloc.start()
    try:
        result = function(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--papers", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        setup(Path(tmp))
        from dailypapers.catalog.models import Paper
        from dailypapers.library.imports import formats, job
        from dailypapers.library.imports.matching import title_key

        started = time.perf_counter()
        papers = load_papers(args.papers)
        print(f"catalogue: {len(papers):,} papers loaded in {time.perf_counter() - started:.1f} s")
        text = library(papers, args.entries)
        print(f"library: {args.entries:,} BibTeX entries, {len(text) / 1e6:.1f} MB")

        from bibtexparser.entrypoint import parse_string

        started = time.perf_counter()
        parse_string(text)
        parse_s = time.perf_counter() - started
        started = time.perf_counter()
        parsed = list(formats.read("bibtex", text))
        read_s = time.perf_counter() - started
        assert len(parsed) == args.entries

        keys = {title_key(e.title) for e in parsed if not e.arxiv_id}
        dois = {e.doi for e in parsed if e.doi and not e.arxiv_id}
        scans = []
        for _ in range(3):
            started = time.perf_counter()
            job.scan_catalogue(dois, keys)
            scans.append(time.perf_counter() - started)
        scan_s = min(scans)
        per_row = scan_s / Paper.objects.count()

        full = run_import(text, "full")
        again = run_import(text, "full")  # the same file into the same collection
        half_text = "\n@".join(text.split("\n@")[: args.entries // 2])
        _, parse_peak = traced(parse_string, text)
        _, half_parse_peak = traced(parse_string, half_text)
        _, job_peak = traced(run_import, text, "traced")
        _, half_job_peak = traced(run_import, half_text, "half")

        def row(label: str, seconds: float, peak: str = "") -> None:
            print(f"{label:<40}{seconds:>8.2f}{args.entries / seconds:>11,.0f}{peak:>22}")

        print(f"{'':<40}{'seconds':>8}{'entries/s':>11}{'peak MB traced':>22}")
        print(f"{'':<40}{'':>8}{'':>11}{'half / whole file':>22}")
        row(
            "baseline: bibtexparser.parse_string",
            parse_s,
            f"{half_parse_peak:.1f} / {parse_peak:.1f}",
        )
        row("reading (parse + ids + titles)", read_s)
        row("the import job, whole", full["seconds"], f"{half_job_peak:.1f} / {job_peak:.1f}")
        row("the same file again (all already there)", again["seconds"])
        print(
            f"{'  of which one catalogue pass':<40}{scan_s:>8.2f}"
            f"   {per_row * 1e6:.1f} us a paper (best of 3; slowest {max(scans):.2f} s), "
            f"so ~{per_row * 2.5e6:.0f} s at 2.5M papers"
        )
        print(f"outcomes: {dict(sorted(full['counts'].items()))}")
        print(f"again:    {dict(sorted(again['counts'].items()))}")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"process peak resident memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()
