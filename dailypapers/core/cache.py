"""The embedded mode's shared cache: diskcache's SQLite files in the data folder.

Django closes every cache at the end of each request. For this cache that would close its
SQLite connections and open them again on the next request (a connection re-reads the
cache's settings: ten statements), most of what a cached page costs. So a request's end
leaves them open; ``close_connections`` closes them, before a fork (``core.forking``).
diskcache itself also notices a new process id and opens fresh connections."""

from __future__ import annotations

from typing import Any

from diskcache import DjangoCache


class DataFolderCache(DjangoCache):  # type: ignore[misc]  # diskcache has no type hints
    def close(self, **kwargs: Any) -> None:
        """The end of a request: the connections stay open for the next one."""

    def close_connections(self) -> None:
        super().close()
