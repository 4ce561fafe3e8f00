"""What a process must do around ``fork()`` without ``exec``: gunicorn's web processes.

A forked child inherits its parent's open sockets. A database connection the parent opened
(``serve`` applies migrations and reads the catalogue before it starts the web server) would
be shared by every web process, which would interleave their queries and read each other's
answers. So the parent closes every connection before each fork, and each child checks that
it inherited none.

The embedded mode's cache keeps its SQLite connections open between requests
(``core.cache``), so it is closed here too. Other sockets are safe by construction:
redis-py's connection pools notice a new process id and open fresh connections; the polite
HTTP client is made per job; the search index is opened by each web process after the fork
(``post_worker_init``). The other places this
project starts processes exec a fresh interpreter (the job worker and the scheduler under
``serve``, the snapshot reader's and the backfill's pools, which use ``spawn``); rq's worker
forks a process per job after django-rq closed its connections, and that process only
lives for one job.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches
from django.db import connections

log = logging.getLogger(__name__)

_inherited: list[Any] = []
"""Connections found open in a child: kept referenced, never used or closed, since closing
them would end the parent's session on the server."""


def close_before_fork() -> None:
    """Close every database connection and cache client of this process."""
    connections.close_all()
    for cache in caches.all(initialized_only=True):
        # the data folder's cache leaves its connections open between requests
        getattr(cache, "close_connections", cache.close)()


def check_after_fork() -> list[str]:
    """In a freshly forked child: set aside any database connection inherited from the parent
    (so the child opens its own), and say so. Returns the aliases found open."""
    found = []
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            found.append(conn.alias)
            _inherited.append(conn.connection)
            conn.connection = None
    if found:
        log.error(
            "a forked process inherited open database connections (%s): set aside, not used",
            ", ".join(found),
        )
    return found
