"""The small rate limiter: parsing rates, counting in windows, turning off."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from dailypapers.community.ratelimit import Rate, allow


def test_rates_parse_and_describe():
    assert Rate.parse("10/m") == Rate(10, 60)
    assert Rate.parse("100/5m") == Rate(100, 300)
    assert Rate.parse("3/d").describe() == "3 per day"
    assert Rate.parse("100/5m").describe() == "100 per 5 minutes"
    for bad in ("ten/m", "10", "10/w", "/m"):
        with pytest.raises(ImproperlyConfigured):
            Rate.parse(bad)


def test_counts_per_scope_and_person(db):
    assert [allow("t", "a", "2/h") for _ in range(3)] == [True, True, False]
    assert allow("t", "b", "2/h")
    assert allow("other", "a", "2/h")
    assert all(allow("t", "a", "0/h") for _ in range(5))
