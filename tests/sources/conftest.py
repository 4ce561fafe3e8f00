"""Fixtures for the live sources' tests: a loopback server and settings pointing at it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sources.sources_loopback import Loopback, _Handler, _Server


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    app = Loopback()
    server = _Server(("127.0.0.1", 0), _Handler)
    server.app = app
    app.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def network_not_known_down() -> Iterator[None]:
    """Each test starts as a machine that has not yet found any host unreachable (that is
    said once per installation, in the cache the tests share)."""
    from django.core.cache import cache

    from dailypapers.sources.http import NETWORK_KEY

    cache.delete(NETWORK_KEY)
    yield
    cache.delete(NETWORK_KEY)


@pytest.fixture
def sources(settings, loopback: Loopback, tmp_path: Path) -> Loopback:
    """Every source pointed at the loopback server; no waiting between requests."""
    settings.ARXIV_API_URL = loopback.url("/api/query")
    settings.ARXIV_OAI_URL = loopback.url("/oai")
    settings.ARXIV_FEED_URL = loopback.url("/atom")
    settings.HF_URL = loopback.url("")
    settings.HTTP_MIN_INTERVAL = 0.0
    settings.HTTP_BACKOFF = 0.01
    settings.HTTP_MAX_WAIT = 0.05
    settings.HTTP_RETRIES = 3
    settings.HTTP_TIMEOUT = 10.0
    settings.DATA_DIR = tmp_path
    settings.REDIS_URL = ""
    settings.ARXIV_API_PAGE_SIZE = 2
    return loopback
