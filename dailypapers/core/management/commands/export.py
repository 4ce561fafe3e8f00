"""`dailypapers export [--since DATETIME] [--with-password-hashes] [-o FILE|-]`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from dailypapers.api import portable


class Command(BaseCommand):
    help = (
        "Export the catalogue and all community data as JSON lines (docs/export.md): papers, "
        "users (no password hashes unless asked), entries, votes, comments and their "
        "revisions, moderation, collections, follows, subscriptions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--since",
            help="only records created or changed since this time (ISO 8601, UTC unless it "
            "says otherwise); docs/export.md lists the types this covers",
        )
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="include password hashes and API token digests (without them, imported "
            "users set a password through 'forgot password', and make new tokens)",
        )
        parser.add_argument(
            "-o", "--output", default="-", help="the file to write ('-', the default: stdout)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        since = None
        if options["since"]:
            try:
                since = datetime.fromisoformat(options["since"])
            except ValueError:
                raise CommandError(
                    f"--since must be a date or time in ISO 8601, not {options['since'][:60]!r}"
                ) from None
            if timezone.is_naive(since):
                since = timezone.make_aware(since, timezone.get_fixed_timezone(0))
        target = options["output"]
        out: IO[str]
        if target == "-":
            out = sys.stdout
            counts = self._run(out, since, options)
        else:
            path = Path(target)
            partial = path.with_name(path.name + ".partial")
            try:
                with partial.open("w", encoding="utf-8") as out:
                    counts = self._run(out, since, options)
            except OSError as exc:
                raise CommandError(f"cannot write {target}: {exc.strerror}") from None
            partial.replace(path)  # a file at that name is always a whole export
        total = sum(counts.values())
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in counts.items() if n)
        self.stderr.write(f"exported {total:,} records ({kinds or 'none'})")

    def _run(self, out: IO[str], since: datetime | None, options: dict[str, Any]) -> dict[str, int]:
        return portable.export(
            out,
            since=since,
            with_password_hashes=options["with_password_hashes"],
            progress=sys.stderr,
        )
