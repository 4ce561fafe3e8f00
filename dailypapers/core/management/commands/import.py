"""`dailypapers import FILE`: read an export file into this instance."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.api import portable


class Command(BaseCommand):
    help = (
        "Import a file made by `dailypapers export` (docs/export.md). Records already here "
        "are matched by natural keys, so importing twice changes nothing; the whole file is "
        "checked before anything is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the export file (JSON lines)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            outcome = portable.import_file(options["file"], progress=sys.stderr)
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from None
        except portable.ImportFailed as exc:
            raise CommandError(f"{options['file']}, {exc}") from None
        read = sum(outcome.read.values())
        changes = ", ".join(f"{n:,} {kind}" for kind, n in outcome.changed.items() if n)
        self.stderr.write(
            f"read {read:,} records; {outcome.total_changed:,} changed this site "
            f"({changes or 'nothing new'}). The search index takes the new papers on its next run."
        )
