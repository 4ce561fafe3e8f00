"""The Hugging Face-compatible endpoints cost one database query per request (two for the
search: the featured entries and the comment counts), whatever the page size."""

from __future__ import annotations

from datetime import date

import pytest

from tests.community.helpers import make_entry, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def featured(fresh_cache):
    users = [make_user(f"user{i}") for i in range(3)]
    return [
        make_entry(day=date(2025, 10, 1 + i % 20), by=users[i % 3], upvotes=i) for i in range(60)
    ]


@pytest.mark.parametrize(
    "params", [{}, {"date": "2025-10-02"}, {"week": "2025-W41"}, {"sort": "trending"}]
)
def test_daily_papers_is_one_query(client, featured, django_assert_num_queries, params):
    with django_assert_num_queries(1):
        answer = client.get("/api/daily_papers", {"limit": 50, **params})
    assert answer.status_code == 200 and answer.json()


def test_paper_and_listing_are_one_query_each(client, featured, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(f"/api/papers/{featured[0].paper.arxiv_id}").status_code == 200
    with django_assert_num_queries(1):
        answer = client.get("/api/papers", {"limit": 50})
    assert len(answer.json()) == 50 and "Link" in answer
