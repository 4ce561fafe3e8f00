"""Data for the /api/v1 read tests: papers in the index, a featured day, votes, a thread,
collections, a member with a token."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

DAY = date(2025, 1, 10)


@pytest.fixture
def v1_data(add_papers: Any, search_settings: Any) -> SimpleNamespace:
    from django.core.cache import cache

    from dailypapers.accounts.tokens import create_token
    from dailypapers.catalog.models import Paper
    from dailypapers.community.comments import delete_comment, post_comment
    from dailypapers.community.models import Comment, Vote
    from dailypapers.library import services as library
    from dailypapers.search import keeper
    from tests.community.helpers import make_entry, make_user

    cache.clear()
    search_settings.RATE_API = "100000/m"
    ids = add_papers(12)
    old = add_papers(
        1,
        arxiv_id="hep-th/9901001",
        title="Dualities of strings, an old-style paper",
        submitted=datetime(1999, 1, 4, tzinfo=UTC),
    )[0]
    keeper.index_pending()
    papers = {p.arxiv_id: p for p in Paper.objects.all()}
    owner, member = make_user("owner"), make_user("member")
    entries = []
    for i, arxiv_id in enumerate(ids[:5]):
        at = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=i)
        entries.append(make_entry(papers[arxiv_id], day=DAY, by=owner, upvotes=i, at=at))
    hidden = make_entry(papers[ids[5]], day=DAY, by=owner, upvotes=99)
    hidden.hidden = True
    hidden.save()
    make_entry(papers[old], day=date(2025, 2, 3), upvotes=1)
    for entry in entries[:2]:
        Vote.objects.create(user=member, paper=entry.paper)
    paper = papers[ids[0]]
    first = post_comment(owner, paper, "First, with *emphasis*.")
    post_comment(member, paper, "A reply.", parent=first)
    gone = post_comment(member, paper, "I take this back.")
    post_comment(owner, paper, "Still, a reply to a deleted comment.", parent=gone)
    delete_comment(member, gone)
    lone = post_comment(member, paper, "Hidden by a moderator.")
    Comment.objects.filter(pk=lone.pk).update(hidden=True)
    shelf = library.create_collection(owner, "Graph reading", "Papers on graphs.", public=True)
    for arxiv_id in ids[:3]:
        library.add(shelf, papers[arxiv_id])
    private = library.create_collection(owner, "Secret plans")
    library.add(private, papers[ids[4]])
    _, secret = create_token(owner, "script")
    return SimpleNamespace(
        ids=ids,
        old=old,
        papers=papers,
        owner=owner,
        member=member,
        entries=entries,
        hidden=hidden,
        paper=paper,
        shelf=shelf,
        private=private,
        token=secret,
    )
