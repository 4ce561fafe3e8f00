"""The background task (Django's tasks API) that composes reply and mention mails."""

from __future__ import annotations

from django_tasks import task

from dailypapers.sources.tasks import outcome

from .notices import compose_notices

NOTICES = "compose-notices"  # its ScheduledJob's name


@task()
def compose_notices_task() -> int:
    """Compose every due reply and mention mail into the outbox; returns how many."""
    with outcome(NOTICES):
        return compose_notices()
