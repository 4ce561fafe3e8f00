from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from dailypapers.digests import compose
from dailypapers.digests.models import Subscription
from dailypapers.digests.sender import send_pending


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(value)
    return number


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(value) from None
    return value.strip().lower()


def _date(value: str) -> dt.date:
    return dt.date.fromisoformat(value.strip())


_date.__name__ = "date (YYYY-MM-DD)"
_positive.__name__ = "positive whole number"
_email.__name__ = "email address"


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT: the message being sent finishes, then the run ends."""
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
        yield stop
        return
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Command(BaseCommand):
    help = "Compose, send and preview the email digests: the outbox and its sender."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        compose = sub.add_parser("compose", help="compose every due digest into the outbox")
        compose.add_argument(
            "--date",
            type=_date,
            help=(
                "compose the issue of this date (YYYY-MM-DD) for every reader whose issue day "
                "it is, whatever their hour (default: what is due now)"
            ),
        )
        compose.add_argument("--dry-run", action="store_true", help="count, write nothing")
        compose.add_argument("--to", type=_email, help="only the digest of this address")
        compose.add_argument(
            "--workers", type=_positive, help="processes composing at once (default: settings)"
        )
        send = sub.add_parser(
            "send",
            help="send the outbox's due messages over SMTP",
            description=(
                "Send every due message in the outbox. Safe to stop or kill at any moment "
                "and to run beside another sender: no message is sent twice."
            ),
        )
        send.add_argument("--dry-run", action="store_true", help="list what would go, send nothing")
        send.add_argument("--to", type=_email, help="only messages to this address")
        send.add_argument("--limit", type=_positive, help="send at most N messages")
        send.add_argument(
            "--batch", type=_positive, default=50, help="rows claimed at a time (default 50)"
        )
        preview = sub.add_parser("preview", help="print the next digest of one address")
        preview.add_argument("--to", type=_email, required=True, help="the subscriber's address")
        preview.add_argument(
            "--date", type=_date, help="the issue date (YYYY-MM-DD; default: their next issue)"
        )
        preview.add_argument("--html", action="store_true", help="print the HTML part, not text")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "send":
            self._send(options)
        elif action == "compose":
            self._compose(options)
        else:
            self._preview(options)

    def _send(self, options: dict[str, Any]) -> None:
        if options["dry_run"]:
            report = send_pending(limit=options["limit"], to=options["to"], dry_run=True)
            for row in report.listed:
                self.stdout.write(f"{row.id}\t{row.kind}\t{row.to_email}\t{row.subject}")
            self.stdout.write(f"{len(report.listed)} message(s) would be sent.")
            return
        with stop_on_signals() as stop:
            report = send_pending(
                limit=options["limit"], to=options["to"], stop=stop, batch=options["batch"]
            )
        self.stdout.write(
            f"{report.sent} sent, {report.retried} to retry later, {report.failed} failed, "
            f"{report.recovered} recovered from a stopped sender."
        )

    def _compose(self, options: dict[str, Any]) -> None:
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= 5 or done == total:
                last[0] = now
                self.stderr.write(f"composed {done} of {total} due readers")

        report = compose.compose_due(
            issue_date=options["date"],
            dry_run=options["dry_run"],
            only=options["to"],
            progress=progress,
            workers=options["workers"],
        )
        verb = "would be composed" if options["dry_run"] else "composed"
        self.stdout.write(
            f"{report.composed} digest(s) {verb}, {report.empty} reader(s) with nothing new, "
            f"of {report.readers} due, in {report.seconds:.1f} s."
        )

    def _preview(self, options: dict[str, Any]) -> None:
        sub = Subscription.objects.filter(email=options["to"]).first()
        if sub is None:
            raise CommandError(f"no subscription for {options['to']}")
        day = options["date"] or compose.next_issue_date(sub)
        issue = compose.compose_one(sub, day)
        if issue is None:
            self.stdout.write(f"Nothing new for {sub.email} on {day}: no digest would go.")
            return
        self.stdout.write(f"To: {sub.email}\nSubject: {issue.subject}\n")
        self.stdout.write(issue.html if options["html"] else issue.text)
