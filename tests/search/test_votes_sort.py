"""Votes reach the search index: members vote, the index job runs, sort=votes follows."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.community.models import DailyEntry
from dailypapers.search import keeper
from dailypapers.search.tasks import update_index
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


def by_votes(client, query=QUERY):
    page = client.get("/search", {"q": query, "sort": "votes"}).content.decode()
    return re.findall(r'<h2><a href="/papers/([^"]+)">', page)


@pytest.fixture
def featured(indexed):
    """Four indexed papers featured today, none voted yet."""
    return [make_entry(Paper.objects.get(arxiv_id=i)) for i in indexed[:4]]


def test_the_votes_sort_follows_votes_after_the_job(
    client, queue, voters, featured, django_capture_on_commit_callbacks
):
    a, b, c, d = featured
    with django_capture_on_commit_callbacks(execute=True):
        vote(client, voters, a, 1)
        vote(client, voters, b, 3)
        vote(client, voters, c, 2)
    assert [r.task.name for r in queue.results] == ["update_index"]  # once, however many votes
    assert DailyEntry.objects.filter(votes_changed=True).count() == 3
    index = keeper.get_index()
    assert index.votes(b.paper.arxiv_id) == 0  # the index learns nothing before the job runs

    update_index.call()
    keeper.forget_index()  # as another process would see it
    assert by_votes(client)[:3] == [b.paper.arxiv_id, c.paper.arxiv_id, a.paper.arxiv_id]
    assert not DailyEntry.objects.filter(votes_changed=True).exists()
    page = client.get("/search", {"q": QUERY, "sort": "votes"}).content.decode()
    assert "3 upvotes" in page and "1 upvote<" in page

    vote(client, voters, b, 3)  # taken back
    vote(client, voters, d, 4)
    update_index.call()
    assert by_votes(client)[:3] == [d.paper.arxiv_id, c.paper.arxiv_id, a.paper.arxiv_id]
    assert keeper.get_index().votes(b.paper.arxiv_id) == 0


def test_status_counts_the_vote_changes_the_index_has_still_to_take(client, voters, featured):
    from dailypapers.core.status import collect_status, format_status

    vote(client, voters, featured[0], 2)
    vote(client, voters, featured[1], 1)
    status = collect_status()
    assert status["index"]["votes_pending"] == 2
    assert "2 with new vote counts" in format_status(status)
    update_index.call()
    assert collect_status()["index"]["votes_pending"] == 0


def test_the_api_reports_the_votes(client, voters, featured):
    vote(client, voters, featured[0], 2)
    found = client.get("/api/papers/search", {"q": featured[0].paper.title}).json()
    assert found[0]["paper"]["id"] == featured[0].paper.arxiv_id
    assert found[0]["paper"]["upvotes"] == 2


def test_a_changed_paper_keeps_its_votes(client, voters, featured):
    top = featured[1]
    vote(client, voters, top, 3)
    keeper.index_pending()
    record = PaperRecord(
        arxiv_id=top.paper.arxiv_id,
        version=2,
        title=top.paper.title + ", revised",
        abstract=top.paper.abstract + " Now with more earlier work.",
        authors=["Ada Lovelace"],
        categories=list(top.paper.categories),
    )
    assert upsert_papers([record], source="test").changed_ids
    done = keeper.index_pending()
    assert done.keyword_indexed == 1 and done.votes == 0
    assert keeper.get_index().votes(top.paper.arxiv_id) == 3
    assert by_votes(client)[0] == top.paper.arxiv_id


def test_an_unfeatured_paper_counts_no_votes(client, voters, featured):
    entry = featured[2]
    vote(client, voters, entry, 2)
    keeper.index_pending()
    assert keeper.get_index().votes(entry.paper.arxiv_id) == 2
    client.force_login(make_user("moderator", moderator=True))
    client.post(f"/moderate/entries/{entry.pk}", {"action": "unfeature", "reason": "spam"})
    keeper.index_pending()
    assert keeper.get_index().votes(entry.paper.arxiv_id) == 0
    client.post(f"/moderate/entries/{entry.pk}", {"action": "refeature"})
    keeper.index_pending()
    assert keeper.get_index().votes(entry.paper.arxiv_id) == 2


def test_a_rebuild_carries_the_votes(client, voters, featured):
    a, b = featured[:2]
    vote(client, voters, a, 2)
    vote(client, voters, b, 4)
    call_command("index", "--rebuild", stdout=None, stderr=None)
    index = keeper.get_index()
    assert (index.votes(a.paper.arxiv_id), index.votes(b.paper.arxiv_id)) == (2, 4)
    assert by_votes(client)[:2] == [b.paper.arxiv_id, a.paper.arxiv_id]


def test_votes_for_a_paper_not_yet_indexed_come_with_it(client, voters, search_settings):
    entry = make_entry()  # in the catalogue, featured, never indexed
    vote(client, voters, entry, 3)
    call_command("index")  # what the job does, by hand
    assert keeper.get_index().votes(entry.paper.arxiv_id) == 3
    assert not DailyEntry.objects.filter(votes_changed=True).exists()


def test_a_vote_during_the_job_keeps_its_mark(featured):
    """The job clears only the marks of entries whose votes are still as it read them."""
    read, moved = featured[:2]
    DailyEntry.objects.filter(pk__in=[read.pk, moved.pk]).update(votes_changed=True, upvotes=1)
    DailyEntry.objects.filter(pk=moved.pk).update(upvotes=2)  # a vote lands after the read
    keeper._clear_vote_marks([(read.pk, 1, False), (moved.pk, 1, False)])
    assert not DailyEntry.objects.get(pk=read.pk).votes_changed
    assert DailyEntry.objects.get(pk=moved.pk).votes_changed
