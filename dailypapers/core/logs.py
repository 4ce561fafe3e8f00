"""Logging helpers named in settings.LOGGING."""

from __future__ import annotations

import logging


def _lower(record: logging.LogRecord, level: int, note: str) -> None:
    record.msg = f"{record.getMessage()} ({note})"
    record.args = ()
    record.exc_info = None
    record.exc_text = None
    record.levelno, record.levelname = level, logging.getLevelName(level)


class ReportedFailures(logging.Filter):
    """The job system logs every failed job as an error with its traceback. A job that
    failed the way it says it can (an exception marked ``reported``, whose cause was logged
    in words where it happened, such as "no network") is recorded as failed all the same,
    and logged in one line at INFO, so that the cause is said once. A job stopped by a
    shutdown is one warning line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        if getattr(exc, "reported", False):
            _lower(record, logging.INFO, "the reason is logged above")
        elif isinstance(exc, SystemExit | KeyboardInterrupt):
            _lower(record, logging.WARNING, "stopped by a shutdown")
        return True
