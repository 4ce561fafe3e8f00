from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand

from dailypapers.sources.schedule import run_forever, start_first_fill, tick


class Command(BaseCommand):
    help = (
        "Enqueue the periodic jobs (the sources' refresh) when they are due; `serve` runs one "
        "itself in embedded mode."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due, then stop")
        parser.add_argument(
            "--poll", type=float, default=30.0, help="seconds between checks (default 30)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            start_first_fill()
            names = tick()
            self.stdout.write(f"enqueued: {', '.join(names) or 'nothing was due'}")
            return
        stop = threading.Event()

        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        run_forever(stop, poll_seconds=options["poll"])
