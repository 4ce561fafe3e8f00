"""The paper page and its discussion write dates as the list pages do: ``2 Dec 2026`` for a
date, ``Wednesday 2 December 2026`` for a featured day, ``2 Dec 2026, 14:05`` for a moment
(the filters of ``site_formats``), never ``2 December 2026`` beside ``2 Dec 2026``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.community.comments import post_comment
from tests.community.helpers import make_entry, make_user

pytestmark = pytest.mark.django_db


def test_paper_page_dates_in_the_site_format(client):
    entry = make_entry(day=date(2026, 11, 25))
    Paper.objects.filter(pk=entry.paper.pk).update(
        submitted=datetime(2026, 11, 23, 12, tzinfo=UTC),
        updated=datetime(2026, 11, 24, 12, tzinfo=UTC),
        version=2,
    )
    post_comment(make_user("reader"), entry.paper, "A first remark")
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "<dd><time" in page and ">23 Nov 2026</time>" in page  # first version
    assert ">24 Nov 2026</time>" in page  # latest version
    assert "Wednesday 25 November 2026" in page  # the featured day, as its day page heads it
    assert re.search(r">\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d</time>", page)  # the comment
    assert "23 November 2026" not in page and "24 November 2026" not in page


def test_day_writes_what_the_date_filter_writes():
    from django.template.defaultfilters import date as date_filter
    from django.utils import translation

    from dailypapers.core.templatetags.site_formats import DAY, day

    values = [
        date(2026, 12, 2),
        date(999, 1, 31),
        datetime(2026, 5, 9, 23, 59, tzinfo=UTC),
        datetime(2026, 9, 1, 0, 30),
    ]
    for value in values:
        assert day(value) == date_filter(value, DAY), value
    with translation.override("de"):
        assert day(date(2026, 3, 4)) == date_filter(date(2026, 3, 4), DAY)
    assert day(None) == ""
