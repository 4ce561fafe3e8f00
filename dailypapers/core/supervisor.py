"""Child processes kept running beside the web server, for embedded mode's one command.

`dailypapers serve` runs the job worker and the scheduler as children of the web server: each
is started before gunicorn forks, restarted with back-off when it dies, and stopped when the
server stops. Production runs each role as a service of its own under systemd (or another
process manager), which does this job there: docs/configuration.md shows the units.

No Django here: a child is any command line.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger("dailypapers.supervisor")

STOPPED = frozenset({0, -signal.SIGTERM, -signal.SIGINT})
"""Exit statuses that mean the child was stopped, not that it crashed: it finished cleanly
(0), or Ctrl-C or SIGTERM reached it, as they reach the whole process group when the server
is shut down. Such a child is not restarted."""


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before restarting a child that crashed: ``first`` after its first
    crash, doubled after each further one up to ``most``; back to ``first`` once a run has
    lasted ``steady`` seconds. A child that keeps crashing is retried every ``most`` seconds,
    never given up: what it needs (a database, a Redis) may come back."""

    first: float = 1.0
    most: float = 60.0
    steady: float = 60.0

    def next(self, delay: float | None, ran: float) -> float:
        """The wait after a run of ``ran`` seconds, given the previous wait (None: none)."""
        if delay is None or ran >= self.steady:
            return self.first
        return min(delay * 2, self.most)


class Child:
    """One command run as a child process and restarted with back-off when it crashes."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        backoff: Backoff = Backoff(),
        stop_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.backoff = backoff
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and stop() never cross
        self._owner = os.getpid()
        self._thread = threading.Thread(target=self._supervise, name=f"child-{name}", daemon=True)

    def start(self) -> None:
        """Start the process now, from the calling thread, then watch it from another.

        Called before gunicorn forks its web processes: a Popen running in another thread
        while the server forks can hand its error pipe to a web process (fork without exec)
        and then wait for that web process to exit."""
        with self._lock:
            self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(self.argv)
        log.info("%s started (pid %s)", self.name, self.process.pid)

    def _supervise(self) -> None:
        delay: float | None = None
        while True:
            assert self.process is not None
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            if code in STOPPED:
                log.info("%s stopped (exit status %s)", self.name, code)
                return
            delay = self.backoff.next(delay, time.monotonic() - started)
            log.warning("%s exited with %s; restarting in %.1f s", self.name, code, delay)
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()

    def terminate(self) -> None:
        """Stop restarting it and send it SIGTERM (see stop())."""
        with self._lock:
            self._stopping.set()
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()

    def wait(self, deadline: float) -> None:
        """Wait for it to exit until ``deadline`` (time.monotonic()), then SIGKILL it."""
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop in time; killing it", self.name)
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        stop_all([self])

    @property
    def owned_here(self) -> bool:
        """Whether this process started it. A web process, forked by gunicorn with a copy of
        this object, exits through the server's own clean-up: the children are not its to
        stop."""
        return os.getpid() == self._owner


def stop_all(children: Sequence[Child]) -> None:
    """SIGTERM to every child at once, then wait for each (SIGKILL past its timeout)."""
    children = [child for child in children if child.owned_here]
    deadlines = [time.monotonic() + child.stop_timeout for child in children]
    for child in children:
        child.terminate()
    for child, deadline in zip(children, deadlines, strict=True):
        child.wait(deadline)


@contextmanager
def supervised(children: Sequence[Child]) -> Iterator[Sequence[Child]]:
    """Start the children, keep them running for the block, stop them after it (however it
    ends: SystemExit from a signal handler, an error, or its end)."""
    started: list[Child] = []
    try:
        for child in children:
            child.start()
            started.append(child)
        yield children
    finally:
        stop_all(started)
