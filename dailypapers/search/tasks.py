"""When the search index is brought up to date: the index job, and who asks for it.

Changed papers (the catalogue's ``papers_changed``) and an index this version cannot read
each ask for one run of ``update_index``; a run that leaves papers without a vector asks for
the next. At most one run waits in the queue at a time (a cache key says one is queued).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django_tasks import task

from papersearch import SearchIndex

from . import keeper
from .holder import HOLDER, SearchUnavailable

log = logging.getLogger(__name__)

QUEUED_KEY = "search:update-index-queued"


@task()
def update_index() -> int:
    """Index changed papers keyword-first, then embed for a while; enqueue again if more
    remain. Returns how many papers it took in."""
    cache.delete(QUEUED_KEY)  # changes from now on need another run
    done = keeper.index_pending(embed_seconds=settings.SEARCH_JOB_SECONDS)
    if done.remaining:
        schedule_update()
    return done.keyword_indexed + done.embedded


def schedule_update() -> bool:
    """Enqueue the index job unless one is already waiting; True when this call did."""
    if not cache.add(QUEUED_KEY, True, timeout=max(settings.SEARCH_JOB_SECONDS * 2, 60)):
        return False
    try:
        update_index.enqueue()
    except Exception:
        cache.delete(QUEUED_KEY)
        log.exception("search: could not enqueue the index job")
        return False
    return True


def on_papers_changed(sender: Any, arxiv_ids: Sequence[str] = (), **kwargs: Any) -> None:
    """Papers were added or changed: make sure one index job is queued."""
    schedule_update()


def open_index() -> SearchIndex:
    """The process's index; when it is unreadable (an older format), the index job is asked
    to rebuild it and ``SearchUnavailable`` raised."""
    try:
        return HOLDER.index()
    except SearchUnavailable as exc:
        log.warning("search: %s; the index job rebuilds it now", exc)
        schedule_update()
        raise


def rebuild(*, embed: bool = True, progress: keeper.Report | None = None) -> SearchIndex:
    """Rebuild the index from the catalogue (``keeper.rebuild``); papers it leaves without a
    vector are embedded by the index job."""
    index = keeper.rebuild(embed=embed, progress=progress)
    if index.stats().unembedded:
        schedule_update()
    return index
