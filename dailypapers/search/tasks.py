"""The background job that keeps the search index in step with the catalogue."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django_tasks import task

from . import keeper


@task()
def update_index() -> int:
    """Index changed papers keyword-first, then embed for a while; enqueue again if more
    remain. Returns how many papers it took in."""
    cache.delete(keeper.QUEUED_KEY)  # changes from now on need another run
    done = keeper.index_pending(embed_seconds=settings.SEARCH_JOB_SECONDS)
    if done.remaining:
        keeper.schedule_update()
    return done.keyword_indexed + done.embedded
