from __future__ import annotations

import time
from argparse import ArgumentParser
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dailypapers.core.progress import ProgressBar
from dailypapers.core.signals import interrupt_on_sigterm
from dailypapers.sources.items import Item
from dailypapers.sources.live_commands import add_live_parsers, run_live
from dailypapers.sources.runner import ingest, resumable_run
from dailypapers.sources.snapshot import SnapshotError, SnapshotFile, read_snapshot


class Command(BaseCommand):
    help = (
        "Add or update papers from a source: arXiv's bulk file, API, OAI-PMH, daily "
        "announcements, or Hugging Face's daily list."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="source", required=True, metavar="SOURCE")
        snap = sub.add_parser(
            "snapshot",
            help="arXiv's bulk metadata snapshot (JSON lines, plain or .gz)",
            description=(
                "Import arXiv's bulk metadata snapshot. Safe to interrupt: run the same "
                "command again to go on from the last saved batch."
            ),
        )
        snap.add_argument("file", help="the snapshot file (.json, .jsonl or .gz)")
        snap.add_argument("--batch-size", type=int, default=None, help="papers per transaction")
        snap.add_argument(
            "--restart", action="store_true", help="start from the first line, not the checkpoint"
        )
        snap.add_argument(
            "--dry-run", action="store_true", help="read and check every line, write nothing"
        )
        snap.add_argument("--progress", choices=["auto", "bar", "lines"], default="auto")
        add_live_parsers(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["source"] == "snapshot":
            self.snapshot(options)
        else:
            run_live(self, options)

    def snapshot(self, options: dict[str, Any]) -> None:
        try:
            snapshot = SnapshotFile.open_path(options["file"])
        except SnapshotError as exc:
            raise CommandError(str(exc)) from exc
        dry_run = options["dry_run"]
        run = resumable_run(
            "snapshot",
            snapshot.key,
            {"file": str(snapshot.path)},
            restart=options["restart"],
            dry_run=dry_run,
        )
        start_line = int(run.checkpoint.get("line", 0))
        if start_line:
            self.stderr.write(f"Resuming {snapshot.path.name} after line {start_line:,}.")
        bar = {"auto": None, "bar": True, "lines": False}[options["progress"]]
        progress = ProgressBar(
            f"snapshot {snapshot.path.name}", snapshot.size, unit="B", stream=self.stderr, bar=bar
        )
        started = time.monotonic()
        first_seen = run.seen

        def items() -> Iterator[Item]:
            for item, read in read_snapshot(snapshot, start_line):
                yield item
                progress.set(read, papers=run.seen)

        try:
            with interrupt_on_sigterm(), progress:
                ingest(run, items(), batch_size=options["batch_size"], dry_run=dry_run)
        except KeyboardInterrupt:
            self.stderr.write(
                f"Interrupted after line {run.checkpoint.get('line', 0):,}: "
                "run the same command again to go on from there."
            )
            raise SystemExit(130) from None
        except SnapshotError as exc:
            raise CommandError(f"{exc}; what was read before is kept, re-run to go on") from exc
        elapsed = time.monotonic() - started
        done = run.seen - first_seen
        verb = "would take" if dry_run else "added"
        self.stdout.write(
            f"snapshot {snapshot.path.name}: {run.seen:,} records, "
            f"{run.unchanged if dry_run else run.added:,} {verb}, "
            + ("" if dry_run else f"{run.updated:,} updated, {run.unchanged:,} unchanged, ")
            + f"{run.older:,} older, {run.rejected:,} rejected "
            f"in {elapsed:.1f} s ({done / max(elapsed, 1e-9):,.0f} records/s)"
        )
        for error in run.errors[:20]:
            where = f"line {error.get('line')}" + (f" ({error['id']})" if "id" in error else "")
            self.stderr.write(f"  rejected {where}: {error['error']}")
        if run.rejected > 20:
            self.stderr.write(
                f"  ... and {run.rejected - 20:,} more (the first 1,000 are kept with the run"
                " in the admin)"
            )
