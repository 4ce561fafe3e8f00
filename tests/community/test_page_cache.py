"""Pages kept for visitors: served from the cache, refreshed by every community change, never
shared with members."""

from __future__ import annotations

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.community.comments import post_comment
from dailypapers.community.votes import toggle_vote

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


def test_each_process_keeps_pages_only_until_the_timeout(client, settings, monkeypatch):
    from dailypapers.community import pagecache

    entry = make_entry(title="Old title")
    client.get("/")
    Paper.objects.filter(pk=entry.paper.pk).update(title="New title")
    now = pagecache.time.monotonic()
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: now + 61)
    from django.core.cache import cache

    cache.clear()  # the shared copy has expired too
    assert "New title" in client.get("/").content.decode()
