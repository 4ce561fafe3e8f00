from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

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
        compose.add_argument("--date", help="the issue date (YYYY-MM-DD; default: today)")
        compose.add_argument("--dry-run", action="store_true", help="count, write nothing")
        compose.add_argument("--to", type=_email, help="only the digest of this address")
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
        preview.add_argument("--date", help="the issue date (YYYY-MM-DD; default: today)")

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
        raise CommandError("compose is not available")

    def _preview(self, options: dict[str, Any]) -> None:
        raise CommandError("preview is not available")
