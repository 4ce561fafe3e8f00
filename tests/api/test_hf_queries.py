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


def test_daily_papers_is_kept_for_everyone_and_renewed_by_a_vote(
    client, featured, settings, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Every caller gets the same list, so it is kept (as the daily page is for visitors)
    with its Link header, and a vote shows in the next answer."""
    from dailypapers.community.votes import toggle_vote

    settings.PAGE_CACHE_SECONDS = 60
    params = {"date": "2025-10-02", "limit": 1}
    first = client.get("/api/daily_papers", params)
    assert first.status_code == 200 and 'rel="next"' in first["Link"]
    with django_assert_num_queries(0):
        again = client.get("/api/daily_papers", params)
    assert again.content == first.content and again["Link"] == first["Link"]
    assert again["Content-Type"] == first["Content-Type"]
    top = first.json()[0]
    entry = next(e for e in featured if e.paper.arxiv_id == top["paper"]["id"])
    with django_assert_num_queries(0):  # a token-bearing caller gets the same answer
        other = client.get("/api/daily_papers", params, HTTP_AUTHORIZATION="Bearer hf_x")
    assert other.content == first.content
    with django_capture_on_commit_callbacks(execute=True):  # the vote commits
        toggle_vote(make_user("voter"), entry)
    renewed = client.get("/api/daily_papers", params).json()[0]
    assert renewed["paper"]["upvotes"] == top["paper"]["upvotes"] + 1
    # a bad request is never kept in place of an answer
    assert client.get("/api/daily_papers", {"date": "2025-13-40"}).status_code == 400


def test_a_kept_list_still_counts_against_the_rate(client, featured, settings):
    settings.PAGE_CACHE_SECONDS = 60
    settings.RATE_API = "3/m"
    answers = [client.get("/api/daily_papers", {"date": "2025-10-02"}) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == "60"
    assert answers[-1].json() == {"error": "Too many requests: at most 3 per minute."}
