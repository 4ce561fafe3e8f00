"""sort=votes: the index finds the relevant papers, the database orders them by their votes,
so the order follows a vote at once and always agrees with the counts the page shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.search import keeper
from dailypapers.search.services import SearchRequest, Sort, search_papers
from tests.community.helpers import make_entry, make_user

pytestmark = pytest.mark.django_db

QUERY = "earlier work"  # every paper the fixture adds says it


@pytest.fixture
def voters(db):
    return [make_user(f"voter{n}") for n in range(4)]


def vote(client, voters, entry, n):
    """The first ``n`` voters toggle their vote on the entry, through the page's form."""
    for user in voters[:n]:
        client.force_login(user)
        assert client.post(f"/vote/{entry.pk}").status_code == 302


def listed(client, query=QUERY, **params):
    page = client.get("/search", {"q": query, "sort": "votes", **params}).content.decode()
    return re.findall(r'<h2><a href="/papers/([^"]+)">', page)


@pytest.fixture
def featured(indexed):
    """Four indexed papers featured today, none voted yet."""
    return [make_entry(Paper.objects.get(arxiv_id=i)) for i in indexed[:4]]


def test_the_votes_sort_follows_a_vote_at_once(client, queue, voters, featured):
    a, b, c, d = featured
    vote(client, voters, a, 1)
    vote(client, voters, b, 3)
    vote(client, voters, c, 2)
    assert queue.results == []  # votes ask nothing of the index
    assert listed(client)[:3] == [b.paper.arxiv_id, c.paper.arxiv_id, a.paper.arxiv_id]
    page = client.get("/search", {"q": QUERY, "sort": "votes"}).content.decode()
    assert "3 upvotes" in page and "1 upvote<" in page

    vote(client, voters, b, 3)  # taken back
    vote(client, voters, d, 4)
    assert listed(client)[:3] == [d.paper.arxiv_id, c.paper.arxiv_id, a.paper.arxiv_id]


def test_papers_with_as_many_votes_keep_their_relevance_order(client, featured, indexed):
    relevance = [r.paper.arxiv_id for r in search_papers(SearchRequest(query=QUERY)).results]
    assert listed(client) == relevance  # no votes yet: the votes order is the relevance order


def test_the_votes_order_is_one_query_over_the_relevance_pool(featured, indexed):
    with CaptureQueriesContext(connection) as queries:
        search_papers(SearchRequest(query=QUERY, sort=Sort.VOTES))
    # the votes of the pool, then the page's papers: no query a paper
    assert len(queries.captured_queries) == 2


def test_highlights_follow_the_votes_order(client, voters, featured):
    vote(client, voters, featured[3], 2)
    page = search_papers(SearchRequest(query=QUERY, sort=Sort.VOTES))
    assert page.results[0].paper.arxiv_id == featured[3].paper.arxiv_id
    assert page.results[0].abstract is not None
    assert {"earlier", "work"} <= {t.lower() for t in page.results[0].abstract.terms()}


def test_the_api_reports_the_votes(client, voters, featured):
    vote(client, voters, featured[0], 2)
    found = client.get("/api/papers/search", {"q": featured[0].paper.title}).json()
    assert found[0]["paper"]["id"] == featured[0].paper.arxiv_id
    assert found[0]["paper"]["upvotes"] == 2


def test_a_changed_paper_keeps_its_place(client, voters, featured):
    top = featured[1]
    vote(client, voters, top, 3)
    record = PaperRecord(
        arxiv_id=top.paper.arxiv_id,
        version=2,
        title=top.paper.title + ", revised",
        abstract=top.paper.abstract + " Now with more earlier work.",
        authors=["Ada Lovelace"],
        categories=list(top.paper.categories),
    )
    assert upsert_papers([record], source="test").changed_ids
    assert keeper.index_pending().keyword_indexed == 1
    assert listed(client)[0] == top.paper.arxiv_id


def test_an_unfeatured_paper_counts_no_votes(client, voters, featured):
    entry = featured[2]
    vote(client, voters, entry, 2)
    assert listed(client)[0] == entry.paper.arxiv_id
    client.force_login(make_user("moderator", moderator=True))
    client.post(f"/moderate/entries/{entry.pk}", {"action": "unfeature", "reason": "spam"})
    assert listed(client)[0] != entry.paper.arxiv_id
    client.post(f"/moderate/entries/{entry.pk}", {"action": "refeature"})
    assert listed(client)[0] == entry.paper.arxiv_id


def test_a_rebuild_changes_nothing(client, voters, featured):
    a, b = featured[:2]
    vote(client, voters, a, 2)
    vote(client, voters, b, 4)
    call_command("index", "--rebuild", stdout=None, stderr=None)
    assert listed(client)[:2] == [b.paper.arxiv_id, a.paper.arxiv_id]


def test_status_has_no_vote_queue(client, voters, featured):
    from dailypapers.core.status import collect_status, format_status

    vote(client, voters, featured[0], 2)
    status = collect_status()
    assert "votes_pending" not in status["index"]
    assert "vote counts" not in format_status(status)


# -- browsing: no words, answered by the database -------------------------------------------


def browse(**request):
    return [r.paper.arxiv_id for r in search_papers(SearchRequest(**request)).results]


def test_browsing_needs_no_index(search_settings, add_papers):
    ids = add_papers(5)  # in the catalogue, never indexed
    search_settings.SEARCH_INDEX_DIR = "/nonexistent/and/never/created"
    newest = list(Paper.objects.order_by("-submitted", "-id").values_list("arxiv_id", flat=True))
    assert browse() == newest and set(newest) == set(ids)
    page = search_papers(SearchRequest(limit=2, offset=2))
    assert [r.paper.arxiv_id for r in page.results] == newest[2:4]
    assert page.total == 5 and page.total_exact


def test_browsing_by_votes_puts_voted_papers_first_then_the_newest(client, voters, featured):
    a, b = featured[2], featured[3]
    vote(client, voters, a, 1)
    vote(client, voters, b, 2)
    rest = list(
        Paper.objects.exclude(pk__in=[a.paper_id, b.paper_id])
        .order_by("-submitted", "-id")
        .values_list("arxiv_id", flat=True)
    )
    everything = [b.paper.arxiv_id, a.paper.arxiv_id, *rest]
    assert browse(sort=Sort.VOTES, limit=50) == everything
    for offset in (0, 1, 2, 5):  # pages cut across the voted and the unvoted papers
        assert browse(sort=Sort.VOTES, offset=offset, limit=3) == everything[offset : offset + 3]
    page = client.get("/search", {"sort": "votes"}).content.decode()
    assert re.findall(r'<h2><a href="/papers/([^"]+)">', page)[:2] == everything[:2]


def test_browsing_filters_as_the_index_does(search_settings, add_papers):
    from dailypapers.catalog.models import Category, PaperCategory

    add_papers(3)  # in cs.CV, cs.CL and astro-ph.CO; none with code
    papers = list(Paper.objects.order_by("arxiv_id"))
    papers[0].repo_url = "https://github.com/a/b"
    papers[1].submitted = dt.datetime(2020, 5, 17, 23, 59, tzinfo=dt.UTC)
    papers[2].code_links = ["https://github.com/c/d"]
    for p in papers:
        p.save()
    Category.objects.get_or_create(code="hep-th")
    PaperCategory.objects.create(paper=papers[0], category_id="hep-th")
    ids = [p.arxiv_id for p in papers]
    assert browse(categories=("hep-th",)) == [ids[0]]
    assert set(browse(categories=("cs",))) == {ids[0], ids[1]}  # a group: every cs.*
    assert browse(categories=("cs.C",)) == []  # a prefix is not a group
    assert browse(date_from=dt.date(2020, 5, 17), date_to=dt.date(2020, 5, 17)) == [ids[1]]
    assert browse(date_from=dt.date(2020, 5, 18), date_to=dt.date(2021, 1, 1)) == []
    assert set(browse(has_code=True)) == {ids[0], ids[2]}
    assert browse(has_code=False) == [ids[1]]
    assert browse(query="cat:hep-th") == [ids[0]]
