"""The rq worker that production mode's `dailypapers worker` runs (with Redis)."""

from __future__ import annotations

from typing import Any

from rq.job_lifecycle import call_exception_handlers
from rq.worker import Worker as RQWorker


class Worker(RQWorker):
    """rq's worker, which logs a job's failure in one line, without the traceback, when the
    job failed the way it says it can (its cause was logged where it happened: see
    core/logs.py); the job is recorded as failed all the same."""

    def handle_exception(self, job: Any, *exc_info: Any) -> None:
        exc = exc_info[1] if len(exc_info) > 1 else None
        if not getattr(exc, "reported", False):
            super().handle_exception(job, *exc_info)
            return
        self.log.info("job %s failed (the reason is logged above)", job.id)
        call_exception_handlers(self._exc_handlers, job, *exc_info)
