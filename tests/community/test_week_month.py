"""Week and month views: /papers/week/2026-W48 and /papers/month/2026-11."""

from __future__ import annotations

from datetime import date

import pytest

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_week_lists_its_papers_by_votes_and_links_its_neighbours(client):
    make_entry(day=date(2026, 11, 23), upvotes=2, title="Monday of week 48")
    make_entry(day=date(2026, 11, 29), upvotes=5, title="Sunday of week 48")
    make_entry(day=date(2026, 11, 30), title="Monday of week 49")
    page = client.get("/papers/week/2026-W48").content.decode()
    assert "Week 48 of 2026" in page
    assert page.index("Sunday of week 48") < page.index("Monday of week 48")
    assert "week 49" not in page
    assert 'href="/papers/week/2026-W47"' in page
    assert 'href="/papers/week/2026-W49"' in page
    assert 'href="/papers/week/2026-W48/feed.rss"' in page


def test_month_lists_its_papers(client):
    make_entry(day=date(2026, 11, 1), title="First of November")
    make_entry(day=date(2026, 12, 1), title="First of December")
    page = client.get("/papers/month/2026-11").content.decode()
    assert "November 2026" in page
    assert "First of November" in page
    assert "First of December" not in page
    assert 'href="/papers/month/2026-10"' in page
    assert 'href="/papers/month/2026-12"' in page


def test_an_empty_week_says_so(client):
    page = client.get("/papers/week/2020-W01").content.decode()
    assert "No papers were featured in week 1 of 2020" in page


@pytest.mark.parametrize(
    "url",
    ["/papers/week/2026-W54", "/papers/week/2026-48", "/papers/month/2026-13", "/papers/month/x"],
)
def test_malformed_weeks_and_months_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_this_week_and_month_redirect(client):
    assert client.get("/papers/week").status_code == 302
    assert client.get("/papers/month").status_code == 302


@pytest.mark.parametrize("url", ["/papers/week/2026-W48", "/papers/month/2026-11"])
def test_spans_run_a_fixed_number_of_queries(client, cast, url, django_assert_num_queries):
    client.force_login(cast.member)
    make_entry(day=date(2026, 11, 24), by=cast.owner)
    # session, user, entries, the user's votes; their hiding choice, saved and read papers
    with django_assert_num_queries(7):
        client.get(url)
    for n in range(25):
        make_entry(day=date(2026, 11, 23 + n % 7), by=cast.member)
    with django_assert_num_queries(7):
        client.get(url)
