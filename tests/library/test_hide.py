""" "Hide papers I've read / saved": the daily, week, month and trending lists and search
leave them out, say how many, and show them again on request."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Paper
from dailypapers.library.models import ReaderState
from dailypapers.library.services import mark_read, save, set_hiding
from dailypapers.search import keeper
from tests.community.helpers import make_entry

pytestmark = pytest.mark.django_db


def results(html: str) -> list[str]:
    return re.findall(r'<li class="search-result">\s*<h2><a href="/papers/([^"]+)"', html)


def cards(html: str) -> list[str]:
    return re.findall(r'<h[23] class="entry-title tex"><a href="/papers/([^"]+)"', html)


def _lists() -> list[str]:
    today = timezone.localdate()
    iso = today.isocalendar()
    return [
        "/",
        f"/papers/date/{today.isoformat()}",
        f"/papers/week/{iso[0]}-W{iso[1]:02d}",
        f"/papers/month/{today:%Y-%m}",
        "/papers/trending",
    ]


def test_the_toggle_is_a_post_form_that_remembers_the_choice(client, cast):
    client.force_login(cast.member)
    page = client.get("/").content.decode()
    assert 'action="/hide"' in page and "Hide papers I\u2019ve read" in page
    response = client.post("/hide", {"hide_read": "on", "next": "/papers/trending"})
    assert response["Location"] == "/papers/trending"
    state = ReaderState.objects.get(user=cast.member)
    assert state.hide_read and not state.hide_saved
    client.post("/hide", {"hide_saved": "on"})
    state.refresh_from_db()
    assert state.hide_saved and not state.hide_read
    client.post("/hide", {"show": "1", "hide_saved": "on"})
    state.refresh_from_db()
    assert not state.hide_read and not state.hide_saved
    assert client.get("/hide").status_code == 405
    client.logout()
    assert client.post("/hide", {"hide_read": "on"})["Location"].startswith("/accounts/login/")
    assert 'action="/hide"' not in client.get("/").content.decode()


def test_lists_leave_out_read_and_saved_papers_and_say_so(client, cast):
    read, saved, other = (make_entry(upvotes=n) for n in (3, 2, 1))
    mark_read(cast.member, read.paper)
    save(cast.member, saved.paper)
    client.force_login(cast.member)
    everything = {e.paper.arxiv_id for e in (read, saved, other)}
    for url in _lists():
        assert set(cards(client.get(url).content.decode())) == everything, url
    set_hiding(cast.member, hide_read=True, hide_saved=False)
    for url in _lists():
        page = client.get(url).content.decode()
        assert set(cards(page)) == everything - {read.paper.arxiv_id}, url
        assert "1 paper hidden · " in page and "show them" in page, url
    set_hiding(cast.member, hide_read=True, hide_saved=True)
    for url in _lists():
        page = client.get(url).content.decode()
        assert cards(page) == [other.paper.arxiv_id], url
        assert "2 papers hidden" in page, url
    # another reader, and a visitor, see everything
    client.force_login(cast.owner)
    assert set(cards(client.get("/").content.decode())) == everything
    client.logout()
    assert set(cards(client.get("/").content.decode())) == everything


def test_a_list_where_everything_is_hidden_says_so(client, cast):
    entry = make_entry()
    mark_read(cast.member, entry.paper)
    set_hiding(cast.member, hide_read=True, hide_saved=False)
    client.force_login(cast.member)
    page = client.get("/").content.decode()
    assert "You have hidden every paper here." in page and "1 paper hidden" in page


def test_trending_stays_full_when_papers_are_hidden(client, cast, settings):
    from dailypapers.community import lists

    entries = [make_entry(upvotes=n) for n in range(lists.TRENDING_LIMIT + 5)]
    for entry in entries[-3:]:  # the three most upvoted
        mark_read(cast.member, entry.paper)
    set_hiding(cast.member, hide_read=True, hide_saved=False)
    client.force_login(cast.member)
    page = client.get("/papers/trending").content.decode()
    assert len(cards(page)) == lists.TRENDING_LIMIT
    assert "3 papers hidden" in page
    assert entries[-4].paper.arxiv_id == cards(page)[0]


def test_search_leaves_them_out_and_pages_stay_right(client, cast, add_papers):
    ids = add_papers(45, title="Quantum error correction with surface codes")
    keeper.index_pending()
    query = {"q": "quantum surface codes", "sort": "date"}
    client.force_login(cast.member)
    first = results(client.get("/search", query).content.decode())
    assert len(first) == 20
    hidden = first[:5]
    for arxiv_id in hidden:
        mark_read(cast.member, Paper.objects.get(arxiv_id=arxiv_id))
    set_hiding(cast.member, hide_read=True, hide_saved=False)
    pages = [client.get("/search", {**query, "page": n}).content.decode() for n in (1, 2, 3)]
    shown = [pid for page in pages for pid in results(page)]
    assert len(shown) == len(set(shown)) == 40  # no paper twice, none lost
    assert set(shown) == set(ids) - set(hidden)
    assert [len(results(p)) for p in pages] == [20, 20, 0]
    assert "5 papers hidden" in pages[0]
    # sorted by votes and by relevance too
    for sort in ("votes", "relevance"):
        page = client.get("/search", {**query, "sort": sort}).content.decode()
        assert not set(results(page)) & set(hidden) and len(results(page)) == 20, sort
    # browsing with no words is answered by the database: the same rule
    browse = client.get("/search", {"date_from": "2025-01-01"}).content.decode()
    assert results(browse) and not set(results(browse)) & set(hidden)
    assert "5 papers hidden" in browse
    # the same page for another reader shows them
    client.force_login(cast.owner)
    assert results(client.get("/search", query).content.decode()) == first


def test_search_hides_saved_papers_and_shows_them_again(client, cast, indexed):
    client.force_login(cast.member)
    query = {"q": "quantum surface codes"}
    first = results(client.get("/search", query).content.decode())
    save(cast.member, Paper.objects.get(arxiv_id=first[0]))
    client.post("/hide", {"hide_saved": "on"})
    page = client.get("/search", query).content.decode()
    assert first[0] not in results(page) and "1 paper hidden" in page
    client.post("/hide", {"show": "1"})
    assert results(client.get("/search", query).content.decode()) == first
