"""What a process keeps between requests: its open search index and the embedding model.

One ``IndexHolder`` a process (``HOLDER``). It opens the index on first use and picks up what
another process committed with a cheap ``refresh`` at most every ``REFRESH_SECONDS``; the
model is loaded once. ``vectors_from`` lends the holder another embedder for a while (vectors
computed elsewhere, a backfill), and gives the model back after.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.module_loading import import_string

from papersearch import Embedder, SearchIndex
from papersearch.backfill import PrecomputedEmbedder, VectorFile
from papersearch.storage import IndexFormatError

from .queryvectors import SharedQueryVectors

log = logging.getLogger(__name__)

REFRESH_SECONDS = 2.0


class SearchUnavailable(Exception):
    """The index cannot be used now (written by an older version: the index job rebuilds it)."""


class IndexHolder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._checked = 0.0
        self._model: Embedder | None = None  # the configured model, once loaded
        self._lent: Embedder | None = None  # used instead of the model within vectors_from

    def embedder(self) -> Embedder:
        """The embedder searches and the index job use now."""
        with self._lock:
            return self._embedder()

    def _embedder(self) -> Embedder:
        if self._lent is not None:
            return self._lent
        if self._model is None:
            factory = import_string(settings.SEARCH_EMBEDDER)
            # The query encoder's exported graph is kept in the data folder, which the
            # service can write (a service account may have no home for a cache).
            takes = inspect.signature(factory).parameters
            kwargs: dict[str, object] = {}
            if "cache_dir" in takes:
                kwargs["cache_dir"] = settings.DATA_DIR / "models"
            if "query_precision" in takes:
                kwargs["query_precision"] = settings.QUERY_PRECISION
            model = factory(**kwargs)
            self._model = SharedQueryVectors(model) if settings.QUERY_VECTOR_SECONDS else model
        return self._model

    def index(self) -> SearchIndex:
        """This process's index, refreshed when another process has written a newer state.
        ``SearchUnavailable`` when it is in a format this version does not read."""
        with self._lock:
            now = time.monotonic()
            index = self._index
            if index is None or str(index.path) != str(settings.SEARCH_INDEX_DIR):
                try:
                    index = SearchIndex.open(settings.SEARCH_INDEX_DIR, self._embedder())
                except IndexFormatError as exc:
                    raise SearchUnavailable(str(exc)) from exc
                self._index = index
                self._checked = now
            elif now - self._checked > REFRESH_SECONDS:
                index.refresh()
                self._checked = now
            return index

    @property
    def is_warm(self) -> bool:
        """Whether the index is open and the model loaded."""
        return self._index is not None and self._model is not None

    def adopt(self, index: SearchIndex) -> None:
        """Use this index (a rebuild's, just switched to) from now on."""
        with self._lock:
            index.embedder = self._embedder()
            self._index = index
            self._checked = time.monotonic()

    @contextmanager
    def vectors_from(self, file: VectorFile) -> Iterator[PrecomputedEmbedder]:
        """Within the block, texts whose vectors ``file`` (a backfill made on a GPU machine,
        say) holds take them from there instead of from the model; the others are embedded
        as usual."""
        with self._lock:
            base = self._embedder()
            source = PrecomputedEmbedder(base, file)
            self._lent = source
            if self._index is not None:
                self._index.embedder = source
        try:
            yield source
        finally:
            with self._lock:
                self._lent = None
                if self._index is not None:
                    self._index.embedder = base

    def forget(self) -> None:
        """Drop the index and the model (tests, or after the settings change)."""
        with self._lock:
            self._index = None
            self._model = None
            self._lent = None


HOLDER = IndexHolder()


def warm_up() -> None:
    """Open the index (asking the kernel to read its files into the page cache) and load the
    model now, so the first searches do not wait for them."""
    started = time.monotonic()
    try:
        HOLDER.index().prefetch()
        HOLDER.embedder().embed_query("warm up")
    except Exception:  # a broken index or model shows on the first search, with its error
        log.exception("search: warming up failed")
        return
    log.info("search: index and model ready in %.1f s", time.monotonic() - started)
