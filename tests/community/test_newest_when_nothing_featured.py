"""A day with nothing featured shows the newest papers of the configured categories under
their own heading, instead of an empty page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=12)


def test_home_without_featured_papers_shows_the_newest_of_the_categories(client, settings):
    settings.ARXIV_CATEGORIES = ["cs.CL", "cs.LG"]
    now = timezone.now()
    make_paper(
        title="Older language paper", categories=["cs.CL"], submitted=now - timedelta(days=3)
    )
    make_paper(
        title="Newer learning paper", categories=["cs.LG"], submitted=now - timedelta(hours=2)
    )
    make_paper(title="A physics paper", categories=["hep-th"], submitted=now - timedelta(hours=1))
    make_paper(title="Undated paper", categories=["cs.CL"], submitted=None)
    page = client.get("/").content.decode()
    assert "No paper has been featured yet" in page and 'href="/submit"' in page
    assert "Submit the first paper" not in page
    assert '<h2 id="newest-heading">Newest in cs.CL, cs.LG</h2>' in page
    assert page.index("Newer learning paper") < page.index("Older language paper")
    assert "A physics paper" not in page  # not in the configured categories
    assert "Undated paper" not in page
    assert "Log in to upvote" not in page  # not featured: no vote button


def test_a_past_day_without_featured_papers_shows_the_newest_up_to_that_day(client, settings):
    settings.ARXIV_CATEGORIES = ["cs.CL"]
    make_entry(day=date(2026, 11, 20), title="Friday paper")
    make_paper(title="Before the weekend", categories=["cs.CL"], submitted=_at(date(2026, 11, 20)))
    make_paper(title="On the Saturday", categories=["cs.CL"], submitted=_at(date(2026, 11, 21)))
    make_paper(title="After the weekend", categories=["cs.CL"], submitted=_at(date(2026, 11, 24)))
    page = client.get("/papers/date/2026-11-21").content.decode()
    assert "No papers were featured on Saturday 21 November" in page
    assert 'href="/papers/date/2026-11-20"' in page
    assert "Newest in cs.CL" in page and "up to 21 Nov 2026" in page
    assert page.index("On the Saturday") < page.index("Before the weekend")
    assert "After the weekend" not in page
    # A day with featured papers shows those only.
    friday = client.get("/papers/date/2026-11-20").content.decode()
    assert "Friday paper" in friday and "newest-heading" not in friday


def test_the_newest_of_the_whole_catalogue_when_the_categories_have_none(client, settings):
    settings.ARXIV_CATEGORIES = ["cs.CL"]
    make_paper(title="Only a physics paper", categories=["hep-th"])
    page = client.get("/").content.decode()
    assert '<h2 id="newest-heading">Newest papers</h2>' in page
    assert "Only a physics paper" in page


def test_the_newest_list_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(3):
        make_paper()
    with django_assert_max_num_queries(6) as few:
        client.get("/")
    for _ in range(30):
        make_paper()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/").content.decode()
    assert "Newest in" in page


def test_a_paper_a_moderator_unfeatured_does_not_come_back_among_the_newest(client, settings):
    settings.ARXIV_CATEGORIES = ["cs.LG"]
    spam = make_entry(title="Spam paper", categories=["cs.LG"])
    spam.hidden = True
    spam.save()
    make_paper(title="A fine paper", categories=["cs.LG"])
    page = client.get("/").content.decode()
    assert "A fine paper" in page and "Spam paper" not in page
