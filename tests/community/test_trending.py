"""Trending: votes decayed by their own age (a day's half-life), the featuring counting as
one vote; a stored score that changes only when a vote does, so the list is an ORDER BY."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from dailypapers.community.models import (
    HOT_HALF_LIFE,
    DailyEntry,
    Vote,
    hot_score,
    trending_score,
)
from dailypapers.community.votes import rescore, toggle_vote

from .helpers import make_entry, make_user

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def test_the_formula():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    # a paper featured with no votes weighs one; each vote at the same moment one more
    assert trending_score(at, []) == pytest.approx(hot_score(0, at))
    assert trending_score(at, [at, at, at]) == pytest.approx(hot_score(3, at))
    assert hot_score(3, at) - hot_score(0, at) == pytest.approx(2)  # log2(4)
    # one day later, the same weight is worth twice as much
    assert hot_score(0, at + DAY) - hot_score(0, at) == pytest.approx(1)
    # a vote a day after featuring weighs twice the featuring: log2(1 + 2)
    assert trending_score(at, [at + DAY]) - hot_score(0, at) == pytest.approx(math.log2(3))
    # the same votes in any order give the same score, to the last digit
    times = [at + i * DAY / 7 for i in range(50)]
    assert trending_score(at, times) == trending_score(at, list(reversed(times)))
    assert math.isfinite(trending_score(at, [at + 10_000 * DAY]))
    assert HOT_HALF_LIFE == 86_400


def _featured(title: str, featured_ago: timedelta, votes_ago: list[timedelta], now: datetime):
    entry = make_entry(at=now - featured_ago, day=(now - featured_ago).date(), title=title)
    voters = User.objects.bulk_create(
        User(username=f"{title.lower()} {i}", password="!") for i in range(len(votes_ago))
    )
    votes = Vote.objects.bulk_create(Vote(user=u, paper=entry.paper) for u in voters)
    for vote, ago in zip(votes, votes_ago, strict=True):
        Vote.objects.filter(user=vote.user, paper=entry.paper).update(created_at=now - ago)
    DailyEntry.objects.filter(pk=entry.pk).update(upvotes=len(votes_ago))
    return entry


def test_a_hand_worked_order(client):
    """Weights as of now (2 ** -age in days; the featuring counts as one vote):

    ============  ========================================  ======  =========
    paper         featured, votes                           weight  old order
    ============  ========================================  ======  =========
    Revived       30 days ago, 60 votes then, 4 votes 2 h    ~3.77   5th
    Discussed     5 days ago, 10 votes 12 h ago              ~7.10   3rd
    Fresh voted   1 h ago, 1 vote now                        ~1.97   1st
    Fresh quiet   now, no votes                              1       2nd
    Warm          3 days ago, 3 votes 2 days ago             0.875   4th
    Month's best  20 days ago, 80 votes 19 days ago          ~0.00015 6th
    ============  ========================================  ======  =========

    Under the old formula (featuring time only) today's two led whatever the votes."""
    now = timezone.now()
    hours = [timedelta(hours=2)] * 4
    _featured("Revived", 30 * DAY, [30 * DAY] * 60 + hours, now)
    _featured("Discussed", 5 * DAY, [timedelta(hours=12)] * 10, now)
    _featured("Fresh voted", timedelta(hours=1), [timedelta(0)], now)
    _featured("Fresh quiet", timedelta(0), [], now)
    _featured("Warm", 3 * DAY, [2 * DAY] * 3, now)
    _featured("Month's best", 20 * DAY, [19 * DAY] * 80, now)
    assert rescore(DailyEntry.objects.all()) == 5  # all but the one without votes
    expected = ["Discussed", "Revived", "Fresh voted", "Fresh quiet", "Warm", "Month's best"]
    order = list(DailyEntry.objects.trending().values_list("paper__title", flat=True))
    assert order == expected
    page = client.get("/papers/trending").content.decode()
    positions = [page.index(title.replace("'", "&#x27;")) for title in expected]
    assert positions == sorted(positions)
    # the weights behind it, by hand
    scores = dict(DailyEntry.objects.values_list("paper__title", "hot"))
    base = hot_score(0, now)
    assert scores["Discussed"] - base == pytest.approx(math.log2(2**-5 + 10 * 2**-0.5), abs=1e-3)
    assert scores["Warm"] - base == pytest.approx(math.log2(0.875), abs=1e-3)


def test_a_vote_now_lifts_an_old_paper(cast, client):
    now = timezone.now()
    old = _featured("Old favourite", 10 * DAY, [10 * DAY] * 50, now)
    _featured("Yesterday's", DAY, [DAY] * 2, now)
    rescore(DailyEntry.objects.all())
    titles = lambda: list(DailyEntry.objects.trending().values_list("paper__title", flat=True))  # noqa: E731
    assert titles()[0] == "Yesterday's"
    for i in range(3):
        toggle_vote(make_user(f"fan{i}"), old)
    assert titles()[0] == "Old favourite"


def test_a_vote_moves_the_score_in_the_same_transaction(cast):
    entry = make_entry()
    before = entry.hot
    toggle_vote(cast.member, entry)
    stored = DailyEntry.objects.get(pk=entry.pk)
    assert stored.upvotes == 1 and stored.hot > before
    toggle_vote(cast.owner, entry)
    assert DailyEntry.objects.get(pk=entry.pk).hot > stored.hot
    toggle_vote(cast.owner, entry)
    assert DailyEntry.objects.get(pk=entry.pk).hot == pytest.approx(stored.hot)
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
    assert "log2" in docs and "half-life" in docs
