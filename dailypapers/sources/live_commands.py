"""The live sources' subcommands of `dailypapers ingest`."""

from __future__ import annotations

import argparse
from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dailypapers.core.signals import interrupt_on_sigterm

from . import jobs
from .http import SourceError
from .models import IngestRun
from .oai import FORMATS


def _day(value: str) -> date:
    if value == "today":
        return timezone.now().date()
    if value == "yesterday":
        return timezone.now().date() - timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _oai_date(value: str) -> str:
    _day(value)
    return value


def add_live_parsers(sub: Any) -> None:
    def parser(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=description)
        p.add_argument("--dry-run", action="store_true", help="read and check, write nothing")
        return p

    ids = parser(
        "ids",
        "papers by arXiv id, from the arXiv API",
        "Fetch papers by id (2501.01234, hep-th/9901001, arXiv URLs) from the arXiv API.",
    )
    ids.add_argument("ids", nargs="+", metavar="ID")

    query = parser(
        "query",
        "papers matching an arXiv API search query",
        "Fetch the papers matching an arXiv API search_query, such as "
        "'cat:cs.CL AND ti:translation'. Interrupted runs go on where they stopped.",
    )
    query.add_argument("query")
    query.add_argument("--max", type=int, default=1000, help="at most this many (default 1000)")
    query.add_argument(
        "--sort",
        choices=["submittedDate", "lastUpdatedDate", "relevance"],
        default="submittedDate",
    )
    query.add_argument("--restart", action="store_true", help="start again from the first page")

    oai = parser(
        "oai",
        "harvest with OAI-PMH (sets, incremental by date)",
        "Harvest arXiv with OAI-PMH ListRecords. Without --from, goes on from the last finished "
        "harvest of the same format and set. Safe to interrupt: run it again to resume.",
    )
    oai.add_argument("--set", dest="set_spec", help="an OAI set such as cs or cs:cs:AI")
    oai.add_argument("--from", dest="from_date", type=_oai_date, help="YYYY-MM-DD")
    oai.add_argument("--format", choices=FORMATS, default=None, help="metadata format")
    oai.add_argument("--restart", action="store_true", help="forget an unfinished harvest")

    ann = parser(
        "announcements",
        "today's arXiv announcements of categories",
        "Read today's announcement feed of the categories (default: "
        "DAILYPAPERS_ARXIV_CATEGORIES), keeping each paper's announce type.",
    )
    ann.add_argument("categories", nargs="*", metavar="CATEGORY")

    hf = parser(
        "hf",
        "Hugging Face's daily papers list",
        "Record the papers Hugging Face featured on a day, and who featured them.",
    )
    hf.add_argument("--date", type=_day, default="today", help="YYYY-MM-DD, today or yesterday")
    hf.add_argument("--days", type=int, default=1, help="this many days, ending on --date")

    parser(
        "refresh",
        "what the scheduler runs: announcements, completion, HF list",
        "Run the scheduled refresh now: today's announcements of the configured categories, "
        "full metadata for the papers they added, and HF's daily list if followed.",
    )
    fill = parser(
        "fill",
        "the last days of the configured categories, from the API",
        "Fill the catalogue with the last days of the configured categories (what the first "
        "start of an empty site does in the background).",
    )
    fill.add_argument("--days", type=int, default=None, help="default DAILYPAPERS_FIRST_FILL_DAYS")


def report(command: BaseCommand, label: str, run: IngestRun, dry_run: bool) -> None:
    if dry_run:
        command.stdout.write(
            f"{label}: {run.seen:,} read, {run.unchanged:,} usable, {run.rejected:,} rejected "
            "(dry run: nothing written)"
        )
    else:
        command.stdout.write(
            f"{label}: {run.seen:,} read, {run.added:,} added, {run.updated:,} updated, "
            f"{run.unchanged:,} unchanged, {run.older:,} older, {run.rejected:,} rejected"
        )
    for error in run.errors[:20]:
        command.stderr.write(f"  rejected {error.get('id', '?')}: {error['error']}")
    if run.rejected > 20:
        command.stderr.write(f"  ... and {run.rejected - 20:,} more")


def run_live(command: BaseCommand, options: dict[str, Any]) -> None:
    source = options["source"]
    dry_run = options["dry_run"]
    try:
        with interrupt_on_sigterm():
            if source == "ids":
                run = jobs.ingest_ids(options["ids"], dry_run=dry_run)
                report(command, "arXiv API ids", run, dry_run)
            elif source == "query":
                run = jobs.ingest_query(
                    options["query"],
                    max_results=options["max"],
                    sort_by=options["sort"],
                    dry_run=dry_run,
                    restart=options["restart"],
                )
                report(command, "arXiv API query", run, dry_run)
            elif source == "oai":
                run, harvest = jobs.harvest_oai(
                    metadata_prefix=options["format"],
                    set_spec=options["set_spec"],
                    from_date=options["from_date"],
                    dry_run=dry_run,
                    restart=options["restart"],
                )
                report(command, f"OAI-PMH ({harvest.pages} pages)", run, dry_run)
                if harvest.deleted:
                    command.stdout.write(
                        f"  {harvest.deleted:,} records deleted at arXiv (kept here): "
                        + " ".join(harvest.deleted_ids[:10])
                    )
            elif source == "announcements":
                run = jobs.ingest_announcements(options["categories"] or None, dry_run=dry_run)
                report(command, "announcements", run, dry_run)
                if run.seen == 0:
                    command.stdout.write("  the feed is empty today (weekend or holiday)")
            elif source == "hf":
                last: date = options["date"]
                for offset in range(max(1, options["days"]) - 1, -1, -1):
                    day = last - timedelta(days=offset)
                    run = jobs.ingest_daily_papers(day, dry_run=dry_run)
                    report(command, f"Hugging Face daily papers {day}", run, dry_run)
            elif source == "refresh":
                done = jobs.refresh(dry_run=dry_run)
                for run in done.runs:
                    report(command, f"refresh {run.source}", run, dry_run)
                done.check()
            elif source == "fill":
                if dry_run:
                    raise CommandError("fill has no dry run: use `ingest query ... --dry-run`")
                fill = jobs.first_fill(options["days"])
                if fill is None:
                    raise CommandError("nothing to fill: the number of days is 0")
                report(command, "fill", fill, dry_run)
    except KeyboardInterrupt:
        command.stderr.write("Interrupted: run the same command again to go on from there.")
        raise SystemExit(130) from None
    except SourceError as exc:
        raise CommandError(f"{exc}\nWhat was read before is kept; run again to go on.") from exc
