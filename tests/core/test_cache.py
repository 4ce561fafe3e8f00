"""The embedded mode's shared cache (diskcache's SQLite files in the data folder): it keeps
what it was given beyond a few hundred entries, counts exactly across processes, and keeps
its connections open between requests but not across a fork."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from dailypapers.community import pagecache
from dailypapers.community.ratelimit import allow
from dailypapers.core.cache import DataFolderCache
from dailypapers.core.forking import close_before_fork

pytestmark = pytest.mark.skipif(
    bool(settings.REDIS_URL), reason="embedded mode: production mode's cache is Redis"
)

COUNTER = """
import os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "dailypapers.settings"
os.environ["DAILYPAPERS_DATA_DIR"] = sys.argv[1]
import django
django.setup()
from django.core.cache import cache
for _ in range(int(sys.argv[2])):
    cache.incr("counted")
"""


def test_the_default_cache_is_in_the_data_folder():
    from django.core.cache import caches

    default = caches["default"]
    assert isinstance(default, DataFolderCache)
    assert Path(default.directory) == settings.DATA_DIR / "cache"


def test_thousands_of_entries_keep_the_version_and_the_counters():
    """Django's file cache deletes a third of its entries at random once it holds 300: the
    community version and a caller's rate count went with them."""
    cache.clear()
    version = pagecache.community_version()
    assert allow("api", "192.0.2.1", "5000/m")
    for i in range(2000):
        cache.set(f"qv:test:{i}", b"\0" * 1536, timeout=600)
    assert pagecache.community_version() == version
    assert cache.get("qv:test:0") == b"\0" * 1536
    counted = [key for key in [f"rl:api:192.0.2.1:{w}" for w in _windows()] if cache.get(key)]
    assert counted, "the rate count was lost"
    cache.clear()


def _windows() -> list[int]:
    from dailypapers.community import ratelimit  # its clock, held by tests/fixtures.py

    now = int(ratelimit.time.time() // 60)
    return [now - 1, now]


def test_two_processes_count_exactly(tmp_path):
    """Rate limits count in the shared cache: two processes incrementing at once lose no
    increment (an incr is one SQLite transaction)."""
    data = tmp_path / "data"
    data.mkdir()
    shared = DataFolderCache(str(data / "cache"), {"SHARDS": 4, "DATABASE_TIMEOUT": 0.5})
    shared.set("counted", 0, timeout=None)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, str(data), "300"], stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        _, errors = run.communicate(timeout=120)
        assert run.returncode == 0, errors
    assert shared.get("counted") == 600


@pytest.mark.django_db
def test_a_request_leaves_the_connection_open_a_fork_does_not(client):
    from django.core.cache import caches

    default = caches["default"]
    default.set("warm", 1)
    shard = default._cache._shards[0]
    before = shard._con  # opened by the set
    assert (
        client.get("/healthz").status_code == 200
    )  # Django "closes" every cache when a request ends
    assert getattr(shard._local, "con", None) is before, "the request closed the connection"
    close_before_fork()
    assert getattr(shard._local, "con", None) is None
    assert default.get("warm") == 1  # opens a new one when next used
