from __future__ import annotations

import time
from argparse import ArgumentParser
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dailypapers.core.progress import ProgressBar
from dailypapers.search import keeper, tasks
from dailypapers.search.holder import HOLDER
from papersearch import SearchIndex
from papersearch.backfill import VectorFile


class Command(BaseCommand):
    help = (
        "Bring the search index up to date with the catalogue (--rebuild: build it afresh).\n\n"
        "Without options: index new or changed papers (by keywords at once) and changed vote "
        "counts, then compute the vectors still missing. The background job does the same a "
        "little at a time."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="build the whole index again from the catalogue (vectors already computed "
            "for the same texts are kept), then switch to it in one step",
        )
        parser.add_argument(
            "--keywords-only",
            action="store_true",
            help="compute no vectors now: leave them to the background job",
        )
        parser.add_argument(
            "--vectors",
            metavar="FOLDER",
            type=Path,
            help="take the vectors of papers from FOLDER, made from a snapshot by "
            "`python -m papersearch.backfill` (on a GPU machine, say); papers whose title or "
            "abstract differ from the snapshot's are embedded here as usual",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["vectors"] is not None and options["keywords_only"]:
            raise CommandError("--vectors and --keywords-only do not go together")
        with ExitStack() as stack:
            source = None
            if options["vectors"] is not None:
                try:
                    file = VectorFile(options["vectors"])
                    source = stack.enter_context(HOLDER.vectors_from(file))
                except (OSError, ValueError) as exc:
                    raise CommandError(f"--vectors: {exc}") from exc
            self._update(**options)
            if source is not None:
                self.stdout.write(
                    f"vectors: {source.from_file:,} taken from {options['vectors']}, "
                    f"{source.computed:,} computed here"
                )

    def _update(self, **options: Any) -> None:
        started = time.monotonic()
        if options["rebuild"]:
            index = self._rebuild(embed=not options["keywords_only"])
        else:
            bars: dict[str, ProgressBar] = {}

            def report(phase: str, done: int, total: int) -> None:
                if phase not in bars:
                    label = phase if phase in {"keywords", "rebuild"} else "vectors"
                    bars[phase] = ProgressBar(label, total, unit="papers", stream=self.stderr)
                bars[phase].set(done)

            keeper.index_pending(
                embed_seconds=0 if options["keywords_only"] else None, report=report
            )
            self._finish(bars)
            index = HOLDER.index()
        stats = index.stats()
        self.stdout.write(
            f"search index: {stats.documents:,} papers, {stats.documents - stats.unembedded:,} "
            f"with vectors, {stats.bytes_on_disk / 2**20:,.0f} MiB, "
            f"{time.monotonic() - started:.0f} s"
        )

    def _finish(self, bars: dict[str, ProgressBar]) -> None:
        for bar in bars.values():
            bar.close()
            self.stderr.write(bar.line())

    def _rebuild(self, *, embed: bool) -> SearchIndex:
        bars: dict[str, ProgressBar] = {}

        def progress(phase: str, done: int, of: int) -> None:
            if phase not in bars:
                bars[phase] = ProgressBar(
                    "papers" if phase == "documents" else "graph",
                    of,
                    unit="papers",
                    stream=self.stderr,
                )
            bars[phase].set(done)

        index = tasks.rebuild(embed=embed, progress=progress)
        self._finish(bars)
        return index
