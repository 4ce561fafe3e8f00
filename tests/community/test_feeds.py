"""RSS and Atom for the daily feed, a week, trending and a member's submissions."""

from __future__ import annotations

from datetime import date

import feedparser
import pytest
from django.utils import timezone

from .helpers import make_entry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_every_feed_parses(client, cast, kind):
    today = timezone.localdate()
    make_entry(day=today, by=cast.owner, upvotes=3, title="Today's <b>bold</b> & $x$ paper")
    make_entry(day=today, by=cast.member, upvotes=1, title="Second paper")
    week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    urls = {
        f"/papers/feed.{kind}": 2,
        f"/papers/week/{week}/feed.{kind}": 2,
        f"/papers/trending/feed.{kind}": 2,
        f"/u/owner/feed.{kind}": 1,
    }
    for url, count in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, (url, parsed.bozo_exception)
        assert parsed.version.startswith(kind), url
        assert len(parsed.entries) == count, url
        titles = [e.title for e in parsed.entries]
        if count == 2:  # plain text, its TeX made readable (feed readers render no math)
            assert titles[0] == "Today's <b>bold</b> & x paper"
        assert parsed.entries[0].link.startswith("http://testserver/papers/2511.")


def test_unknown_week_and_user_feeds_are_not_found(client, db):
    assert client.get("/papers/week/2026-W99/feed.rss").status_code == 404
    assert client.get("/u/nobody/feed.atom").status_code == 404


def test_feeds_run_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    for _n in range(3):
        make_entry(day=date(2026, 11, 24), by=cast.owner)
    with django_assert_num_queries(2):  # the latest day, its entries
        client.get("/papers/feed.rss")
    for _n in range(20):
        make_entry(day=date(2026, 11, 24), by=cast.owner)
    with django_assert_num_queries(2):
        client.get("/papers/feed.rss")
