"""Pages kept for visitors: served from the cache, refreshed by every community change, never
shared with members."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import pytest
from django.core.cache import CacheKeyWarning
from django.db import connection

from dailypapers.catalog.models import Paper
from dailypapers.community.comments import post_comment
from dailypapers.community.votes import toggle_vote
from tests.conftest import REPO

from .helpers import make_entry

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 60


def test_a_visitor_page_is_served_from_the_cache(client, django_assert_num_queries):
    make_entry(title="Cached paper")
    assert "Cached paper" in client.get("/").content.decode()
    with django_assert_num_queries(0):
        assert "Cached paper" in client.get("/").content.decode()


def test_votes_comments_and_moderation_refresh_it_at_once(client, cast):
    entry = make_entry()
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert '<span class="count">0</span>' in page
    toggle_vote(cast.member, entry)
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert '<span class="count">1</span>' in page
    post_comment(cast.owner, entry.paper, "Fresh comment")
    assert "Fresh comment" in client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()


def test_catalogue_changes_wait_for_the_timeout(client):
    entry = make_entry(title="Old title")
    client.get("/")
    Paper.objects.filter(pk=entry.paper.pk).update(title="New title")
    assert "Old title" in client.get("/").content.decode()


def test_visitor_pages_carry_no_csrf_token_and_members_get_their_own(client, cast):
    entry = make_entry()
    page = client.get("/").content.decode()
    assert "csrfmiddlewaretoken" not in page and "X-CSRFToken" not in page
    assert "/accounts/login/?next=" in page
    client.force_login(cast.member)
    page = client.get("/").content.decode()
    assert f'action="/vote/{entry.pk}"' in page
    assert "csrfmiddlewaretoken" in page


def test_catalogue_changes_show_once_the_timeout_has_passed(client, settings):
    settings.PAGE_CACHE_SECONDS = 1
    entry = make_entry(title="Old title")
    client.get("/")
    Paper.objects.filter(pk=entry.paper.pk).update(title="New title")
    assert "Old title" in client.get("/").content.decode()
    time.sleep(1.2)
    assert "New title" in client.get("/").content.decode()


BUMP = (
    "import django; django.setup(); from dailypapers.community import pagecache; pagecache.bump()"
)


def test_a_change_made_in_another_process_shows_at_once(client, settings):
    """Every web process reads the version from the shared cache (the file cache of the data
    folder, or Redis): a vote counted by another process renews this one's pages too."""
    entry = make_entry(title="Old title")
    client.get("/")
    Paper.objects.filter(pk=entry.paper.pk).update(title="New title")
    assert "Old title" in client.get("/").content.decode()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    if settings.PRODUCTION:  # the same database too: bump() waits for its commit
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    other = subprocess.run(
        [sys.executable, "-c", BUMP],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert other.returncode == 0, other.stderr
    assert "New title" in client.get("/").content.decode()


def test_a_long_address_is_cached_under_a_valid_key(client, django_assert_num_queries):
    make_entry(title="Cached paper")
    url = "/?" + "&".join(f"tag{n}=value{n}" for n in range(40))  # over 250 characters
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        assert "Cached paper" in client.get(url).content.decode()
        with django_assert_num_queries(0):
            assert "Cached paper" in client.get(url).content.decode()


def test_the_processes_own_copies_stay_within_their_bytes(settings):
    from dailypapers.community import pagecache

    settings.PAGE_CACHE_SECONDS = 60
    local = pagecache.Local()
    big = b"x" * (pagecache.LOCAL_BYTES // 10)
    for i in range(30):
        local.put(f"k{i}", 1, ("application/json", big, {}))
    assert local.size <= pagecache.LOCAL_BYTES
    assert local.get("k0", 1) is None and local.get("k29", 1) is not None
    assert local.get("k29", 2) is None  # another community version: not this answer
    local.put("huge", 1, ("application/json", b"x" * pagecache.LOCAL_BYTES, {}))
    assert local.get("huge", 1) is None  # too big to keep here; the shared cache has it
    settings.PAGE_CACHE_SECONDS = -1
    local.put("stale", 1, ("application/json", b"{}", {}))
    assert local.get("stale", 1) is None  # past its time
