"""Trending: a time-decayed vote score stored on the entry, so the list is an ORDER BY."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dailypapers.community.models import HOT_SECONDS, DailyEntry, hot_score
from dailypapers.community.votes import toggle_vote

from .helpers import make_entry

pytestmark = pytest.mark.django_db


def test_the_formula():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    assert hot_score(1, at) - hot_score(0, at) == pytest.approx(math.log10(2))
    assert hot_score(99, at) - hot_score(9, at) == pytest.approx(1)
    later = at + timedelta(seconds=HOT_SECONDS)
    assert hot_score(9, later) == pytest.approx(hot_score(99, at))
    assert math.isfinite(hot_score(10**9, at))


def test_newer_papers_need_fewer_votes(client):
    now = datetime.now(UTC)
    make_entry(at=now - timedelta(days=3), upvotes=50, title="Old favourite")
    make_entry(at=now, upvotes=3, title="Fresh paper")
    make_entry(at=now - timedelta(hours=1), upvotes=1, title="Quiet paper")
    page = client.get("/papers/trending").content.decode()
    assert page.index("Fresh paper") < page.index("Quiet paper") < page.index("Old favourite")


def test_a_vote_moves_the_score_in_the_same_transaction(cast):
    entry = make_entry()
    before = entry.hot
    toggle_vote(cast.member, entry)
    stored = DailyEntry.objects.get(pk=entry.pk)
    assert stored.upvotes == 1
    toggle_vote(cast.owner, entry)
    stored = DailyEntry.objects.get(pk=entry.pk)
    assert stored.hot == pytest.approx(before + math.log10(3))
    toggle_vote(cast.owner, entry)
    toggle_vote(cast.member, entry)
    assert DailyEntry.objects.get(pk=entry.pk).hot == pytest.approx(before)


def test_unfeatured_papers_do_not_trend(client, cast):
    entry = make_entry(title="Unfeatured one")
    entry.hidden = True
    entry.save()
    assert "Unfeatured one" not in client.get("/papers/trending").content.decode()


def test_trending_runs_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    make_entry(by=cast.owner)
    with django_assert_num_queries(1):
        client.get("/papers/trending")
    for _ in range(30):
        make_entry(by=cast.member)
    with django_assert_num_queries(1):
        client.get("/papers/trending")


def test_the_formula_is_documented():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "community.md").read_text()
    assert "log10" in docs and str(HOT_SECONDS) in docs.replace(",", "")
