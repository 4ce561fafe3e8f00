"""Background tasks (Django's tasks API) that keep the catalogue fresh.

Each records how it ended on its ScheduledJob row (whatever backend runs it), and a job that
failed raises, so the job backend records it as failed too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone
from django_tasks import task

from . import jobs
from .models import ScheduledJob
from .schedule import FIRST_FILL, REFRESH


@contextmanager
def outcome(name: str) -> Iterator[None]:
    """Record the job's start, then whether it succeeded or failed (and why)."""
    now = timezone.now()
    fields = {"last_started_at": now, "last_finished_at": None, "last_error": ""}
    running = {**fields, "last_outcome": ScheduledJob.Outcome.RUNNING}
    if not ScheduledJob.objects.filter(name=name).update(**running):
        ScheduledJob.objects.get_or_create(name=name, defaults={"next_run_at": now, **running})
    try:
        yield
    except BaseException as exc:
        ScheduledJob.objects.filter(name=name).update(
            last_outcome=ScheduledJob.Outcome.FAILED,
            last_finished_at=timezone.now(),
            last_error=(str(exc) or type(exc).__name__)[:10_000],
        )
        raise
    ScheduledJob.objects.filter(name=name).update(
        last_outcome=ScheduledJob.Outcome.SUCCEEDED, last_finished_at=timezone.now()
    )


@task()
def refresh_sources() -> int:
    """The scheduled refresh; returns how many papers were added. Fails when a source
    failed (after reading the others)."""
    with outcome(REFRESH):
        done = jobs.refresh()
        done.check()
        return sum(run.added for run in done.runs)


@task()
def fill_catalogue(days: int | None = None) -> int:
    """The first fill of an empty catalogue; returns how many papers were added."""
    with outcome(FIRST_FILL):
        run = jobs.first_fill(days)
        return run.added if run is not None else 0
