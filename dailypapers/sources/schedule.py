"""A small periodic scheduler: enqueues the sources' refresh and the digests' round (compose
what is due, then send) at their configured intervals.

Any number of schedulers may run (one per `serve` in embedded mode, one or more `dailypapers
scheduler` processes in production): each due job is claimed with one conditional UPDATE on
its ScheduledJob row, so exactly one of them enqueues it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dailypapers.catalog.models import Paper

from .models import ScheduledJob

log = logging.getLogger(__name__)

FIRST_FILL = "first-fill"
REFRESH = "refresh-sources"
DIGESTS = "digests"


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    task_path: str


def periodic_jobs() -> list[Periodic]:
    jobs = []
    if settings.REFRESH_MINUTES > 0:
        jobs.append(
            Periodic(
                REFRESH,
                timedelta(minutes=settings.REFRESH_MINUTES),
                "dailypapers.sources.tasks.refresh_sources",
            )
        )
    if settings.DIGEST_MINUTES > 0:
        # Named by path: the digests sit above the sources (docs/architecture.md).
        jobs.append(
            Periodic(
                DIGESTS,
                timedelta(minutes=settings.DIGEST_MINUTES),
                "dailypapers.digests.tasks.digests_due",
            )
        )
    return jobs


def _task(path: str) -> Any:
    from django.utils.module_loading import import_string

    return import_string(path)


def claim(name: str, every: timedelta) -> bool:
    """Whether this process is the one to enqueue the job now (and move its next time on)."""
    now = timezone.now()
    ScheduledJob.objects.get_or_create(name=name, defaults={"next_run_at": now})
    claimed = ScheduledJob.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + every, last_enqueued_at=now
    )
    return claimed == 1


def tick() -> list[str]:
    """Enqueue every job that is due; return their names."""
    enqueued = []
    for job in periodic_jobs():
        if claim(job.name, job.every):
            _task(job.task_path).enqueue()
            log.info("scheduler: enqueued %s (next in %s)", job.name, job.every)
            enqueued.append(job.name)
    return enqueued


def start_first_fill() -> bool:
    """On an empty catalogue, enqueue the first fill: once per installation, and again at a
    later start only if that fill failed (no network, say)."""
    if settings.FIRST_FILL_DAYS <= 0 or Paper.objects.exists():
        return False
    now = timezone.now()
    try:
        with transaction.atomic():
            ScheduledJob.objects.create(name=FIRST_FILL, next_run_at=now, last_enqueued_at=now)
    except IntegrityError:
        # Enqueued before (by this or another process): claim a failed one's retry, once.
        retry = ScheduledJob.objects.filter(
            name=FIRST_FILL, last_outcome=ScheduledJob.Outcome.FAILED
        ).update(last_outcome="", last_enqueued_at=now)
        if not retry:
            return False
    _task("dailypapers.sources.tasks.fill_catalogue").enqueue(settings.FIRST_FILL_DAYS)
    log.info(
        "the catalogue is empty: filling it with the last %d days of %s in the background",
        settings.FIRST_FILL_DAYS,
        " ".join(settings.ARXIV_CATEGORIES),
    )
    return True


def run_forever(stop: threading.Event, poll_seconds: float = 30.0) -> None:
    """Tick until ``stop`` is set; a failing tick is logged and retried at the next one."""
    names = ", ".join(f"{j.name} every {j.every}" for j in periodic_jobs()) or "nothing"
    log.info("scheduler: started (%s)", names)
    start_first_fill()
    while not stop.is_set():
        try:
            tick()
        except Exception:
            log.exception("scheduler: a tick failed; trying again in %.0f s", poll_seconds)
        stop.wait(poll_seconds)
