"""Background tasks (Django's tasks API) that keep the catalogue fresh."""

from __future__ import annotations

from django_tasks import task

from . import jobs


@task()
def refresh_sources() -> int:
    """The scheduled refresh; returns how many papers were added."""
    return sum(run.added for run in jobs.refresh())


@task()
def fill_catalogue(days: int | None = None) -> int:
    """The first fill of an empty catalogue; returns how many papers were added."""
    run = jobs.first_fill(days)
    return run.added if run is not None else 0
