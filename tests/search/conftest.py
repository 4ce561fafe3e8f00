"""The search tests' own fixture; the index fixtures are in tests/fixtures.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def queue(search_settings: Any) -> Iterator[Any]:
    """The job queue (the dummy backend), empty, with no index job marked as waiting."""
    from django.core.cache import cache
    from django_tasks import default_task_backend

    from dailypapers.search import tasks

    cache.delete(tasks.QUEUED_KEY)
    default_task_backend.clear()
    yield default_task_backend
    cache.delete(tasks.QUEUED_KEY)
