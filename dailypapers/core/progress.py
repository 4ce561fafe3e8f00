"""Progress of long work: a bar on a terminal, a line of counts every few seconds elsewhere."""

from __future__ import annotations

import logging
import sys
import time
from types import TracebackType
from typing import Any

from tqdm import tqdm

log = logging.getLogger("dailypapers.progress")


class ProgressBar:
    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        unit: str = "it",
        stream: Any = None,
        interval: float = 10.0,
        bar: bool | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream or sys.stderr
        self.interval = interval
        self.done = 0
        self.started = time.monotonic()
        self._last_report = self.started
        use_bar = self.stream.isatty() if bar is None else bar
        self._bar = (
            tqdm(total=total, desc=label, unit=unit, unit_scale=True, file=self.stream)
            if use_bar
            else None
        )

    def set(self, done: int, **postfix: object) -> None:
        """Report that ``done`` units are finished (an absolute position)."""
        if self._bar is not None:
            self._bar.update(done - self.done)
            if postfix:
                self._bar.set_postfix(postfix, refresh=False)
        self.done = done
        now = time.monotonic()
        if self._bar is None and now - self._last_report >= self.interval:
            self._last_report = now
            self.stream.write(self.line(**postfix) + "\n")
            self.stream.flush()

    def line(self, **postfix: object) -> str:
        elapsed = time.monotonic() - self.started
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        extra = "".join(
            f", {v:,} {k}" if isinstance(v, int) else f", {k} {v}" for k, v in postfix.items()
        )
        return f"{self.label}: {self.done:,} {self.unit}{share}{extra}, {elapsed:.0f} s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
