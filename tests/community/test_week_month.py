"""Week and month views: /papers/week/2026-W48 and /papers/month/2026-11."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from dailypapers.community import lists
from dailypapers.library.services import mark_read, set_hiding

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_week_lists_its_papers_by_votes_and_links_its_neighbours(client):
    make_entry(day=date(2026, 11, 23), upvotes=2, title="Monday of week 48")
    make_entry(day=date(2026, 11, 29), upvotes=5, title="Sunday of week 48")
    make_entry(day=date(2026, 11, 30), title="Monday of week 49")
    page = client.get("/papers/week/2026-W48").content.decode()
    assert "Week 48 of 2026" in page
    assert "week 49" not in page
    assert 'href="/papers/week/2026-W47"' in page
    assert 'href="/papers/week/2026-W49"' in page
    assert 'href="/papers/week/2026-W48/feed.rss"' in page


def test_week_is_grouped_by_day_each_day_by_votes(client):
    """A heading per day (Monday first), the day's papers under it by votes, at most
    WEEK_DAY_LIMIT of them, then a link to the day's page with the rest."""
    make_entry(day=date(2026, 11, 29), upvotes=5, title="Sunday top")
    make_entry(day=date(2026, 11, 23), upvotes=1, title="Monday low")
    make_entry(day=date(2026, 11, 23), upvotes=7, title="Monday high")
    for n in range(lists.WEEK_DAY_LIMIT):
        make_entry(day=date(2026, 11, 25), upvotes=20 + n, title=f"Wednesday paper {n:02d}")
    make_entry(day=date(2026, 11, 25), upvotes=0, title="Wednesday quiet")
    page = client.get("/papers/week/2026-W48").content.decode()
    monday = page.index("Monday 23 November 2026")
    wednesday = page.index("Wednesday 25 November 2026")
    sunday = page.index("Sunday 29 November 2026")
    assert monday < page.index("Monday high") < page.index("Monday low") < wednesday
    assert wednesday < page.index("Wednesday paper 09") < page.index("Wednesday paper 00") < sunday
    assert sunday < page.index("Sunday top")
    assert "Tuesday 24 November" not in page  # no papers, no heading
    assert "Wednesday quiet" not in page
    assert f"All {lists.WEEK_DAY_LIMIT + 1} papers of Wednesday" in page
    assert 'href="/papers/date/2026-11-25"' in page
    assert page.count('class="day-heading"') == 3
    assert '<h3 class="entry-title tex">' in page  # titles sit under the day headings


def test_week_leaves_hidden_papers_out_of_each_day(client, cast):
    read = make_entry(day=date(2026, 11, 24), upvotes=9, title="Already read")
    make_entry(day=date(2026, 11, 24), upvotes=1, title="Not read yet")
    mark_read(cast.member, read.paper)
    set_hiding(cast.member, hide_read=True, hide_saved=False)
    client.force_login(cast.member)
    page = client.get("/papers/week/2026-W48").content.decode()
    assert "Not read yet" in page
    assert "Already read" not in page
    assert "1 paper hidden" in page


def test_month_lists_its_papers(client):
    make_entry(day=date(2026, 11, 1), title="First of November")
    make_entry(day=date(2026, 12, 1), title="First of December")
    page = client.get("/papers/month/2026-11").content.decode()
    assert "November 2026" in page
    assert "First of November" in page
    assert "First of December" not in page
    assert 'href="/papers/month/2026-10"' in page
    assert 'href="/papers/month/2026-12"' in page


def test_month_pages_its_papers_by_votes(client):
    per = lists.MONTH_PER_PAGE
    for n in range(per + 3):
        make_entry(day=date(2026, 11, 1 + n % 28), upvotes=n, title=f"November paper {n:03d}")
    first = client.get("/papers/month/2026-11").content.decode()
    assert first.count('class="entry"') == per
    assert f"November paper {per + 2:03d}" in first  # the most upvoted first
    assert "November paper 002" not in first
    assert f"{per + 3} papers" in first
    assert 'href="?page=2"' in first and "Fewer upvotes" in first
    second = client.get("/papers/month/2026-11?page=2").content.decode()
    assert second.count('class="entry"') == 3
    assert "November paper 000" in second and "page 2 of 2" in second
    assert 'href="?page=1"' in second and "More upvoted" in second
    # past the last page, or not a number: the nearest page there is, never an error
    for wrong in ("99", "0", "-1", "x", "1" * 40, "\x00", "\uff12"):
        response = client.get("/papers/month/2026-11", {"page": wrong})
        assert response.status_code == 200, wrong


def test_numbers_on_lists_have_thousands_separators(client):
    entry = make_entry(day=date(2026, 11, 2), upvotes=12345, title="Popular")
    page = client.get("/papers/month/2026-11").content.decode()
    assert '<span class="count">12,345</span>' in page
    assert "(12,345 upvotes)" in page
    assert ">12,345<" in client.get("/papers/date/2026-11-02").content.decode()
    assert entry.upvotes == 12345


def test_future_days_weeks_and_months_speak_of_the_future(client):
    from dailypapers.community.submissions import today

    ahead = today() + timedelta(days=400)
    day = client.get(f"/papers/date/{ahead:%Y-%m-%d}").content.decode()
    assert "still to come" in day
    assert "were featured" not in day
    week = client.get(f"/papers/week/{ahead.isocalendar()[0]}-W{ahead.isocalendar()[1]:02d}")
    assert "still to come" in week.content.decode()
    assert "were featured" not in week.content.decode()
    month = client.get(f"/papers/month/{ahead:%Y-%m}").content.decode()
    assert "still to come" in month and "were featured" not in month


def test_dates_use_one_format(client):
    make_entry(day=date(2026, 11, 24), title="Dated")
    make_entry(day=date(2026, 11, 20), title="Before")
    make_entry(day=date(2026, 11, 27), title="After")
    page = client.get("/papers/date/2026-11-24").content.decode()
    assert "Tuesday 24 November 2026" in page  # the day's heading
    assert "20 Nov 2026" in page and "27 Nov 2026" in page  # the neighbours, as dates
    assert "<title>Daily papers · 24 Nov 2026" in page
    month = client.get("/papers/month/2026-11").content.decode()
    assert "1 Nov 2026 \u2013 30 Nov 2026" in month
    assert ">24 Nov 2026</time>" in month


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


@pytest.mark.parametrize(
    ("url", "queries"), [("/papers/week/2026-W48", 7), ("/papers/month/2026-11", 8)]
)
def test_spans_run_a_fixed_number_of_queries(client, cast, url, queries, django_assert_num_queries):
    client.force_login(cast.member)
    make_entry(day=date(2026, 11, 24), by=cast.owner)
    # session, user, entries (and a month's count), the user's votes; their hiding choice,
    # saved and read papers
    with django_assert_num_queries(queries):
        client.get(url)
    for n in range(25):
        make_entry(day=date(2026, 11, 23 + n % 7), by=cast.member)
    with django_assert_num_queries(queries):
        client.get(url)
