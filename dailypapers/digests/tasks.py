"""Background tasks (Django's tasks API) for the digests."""

from __future__ import annotations

from django_tasks import task

from .sender import send_pending


@task()
def send_outbox() -> int:
    """Send every due outbox row; returns how many were sent."""
    return send_pending().sent
