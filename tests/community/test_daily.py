"""The daily feed: ordering, what each row shows, previous and next days, empty days."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db


def test_empty_site_says_the_catalogue_is_empty(client):
    page = client.get("/").content.decode()
    assert "The catalogue is empty" in page


def test_catalogue_without_featured_papers_invites_a_submission(client):
    make_paper()
    page = client.get("/").content.decode()
    assert "No paper has been featured yet" in page
    assert 'href="/submit"' in page


def test_home_lists_today_by_votes_with_everything_a_row_needs(client, cast):
    low = make_entry(upvotes=1, title="Low paper")
    high = make_entry(upvotes=9, by=cast.owner, title="High paper", abstract="Short abstract here.")
    high.paper.repo_url = "https://github.com/example/code"
    high.paper.save()
    make_entry(day=timezone.localdate() - timedelta(days=1), title="Yesterday paper")
    page = client.get("/").content.decode()
    assert page.index("High paper") < page.index("Low paper")
    assert "Yesterday paper" not in page
    assert '<bdi>Ada Lovelace</bdi></a>, <a href="/authors/by-name?name=Alan%20Turing"' in page
    assert "Short abstract here." in page
    assert "><bdi>owner</bdi></a>" in page
    assert "https://github.com/example/code" in page
    assert "0 comments" in page
    assert "Log in to upvote: Low paper (1 upvote)" in page
    client.force_login(cast.member)
    assert f'action="/vote/{low.pk}"' in client.get("/").content.decode()


def test_home_falls_back_to_the_latest_day(client):
    last = timezone.localdate() - timedelta(days=3)
    make_entry(day=last, title="Three days ago")
    page = client.get("/").content.decode()
    assert "Three days ago" in page
    assert last.strftime("%B") in page


def test_previous_and_next_skip_empty_days(client):
    make_entry(day=date(2026, 11, 20), title="Friday paper")
    make_entry(day=date(2026, 11, 23), title="Monday paper")
    page = client.get("/papers/date/2026-11-23").content.decode()
    assert 'href="/papers/date/2026-11-20"' in page
    weekend = client.get("/papers/date/2026-11-21").content.decode()
    assert "No papers were featured on Saturday 21 November" in weekend
    assert "weekends" in weekend
    assert 'href="/papers/date/2026-11-23"' in weekend


def test_a_bad_date_is_not_found(client):
    assert client.get("/papers/date/2026-13-45").status_code == 404
    assert client.get("/papers/date/yesterday").status_code == 404


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_day_runs_a_fixed_number_of_queries(client, cast, logged_in, django_assert_num_queries):
    day = date(2026, 11, 24)
    if logged_in:
        client.force_login(cast.member)
    make_entry(day=day, by=cast.owner)
    one = _queries(client, "/papers/date/2026-11-24")
    for _ in range(20):
        make_entry(day=day, by=cast.member)
    with django_assert_num_queries(one):
        client.get("/papers/date/2026-11-24")
    # a reader's page also reads their hiding choice, saved and read papers (one query each)
    assert one == (9 if logged_in else 3)


def test_home_runs_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    make_entry(by=cast.owner)
    with django_assert_num_queries(3):  # today's entries, the days before and after
        client.get("/")
    for _ in range(20):
        make_entry(by=cast.member)
    with django_assert_num_queries(3):
        client.get("/")
