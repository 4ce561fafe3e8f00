"""The import as a background job (Django's tasks API: the database queue in embedded mode,
Redis in production)."""

from __future__ import annotations

from django_tasks import task

from . import job


@task()
def run_import(import_id: int) -> str:
    """Run (or go on with) one import; returns how it ended."""
    return str(job.run(import_id).state)
