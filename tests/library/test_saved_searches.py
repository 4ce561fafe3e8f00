"""Saved searches: the search page's "Follow this search", its normalisation, refusals, and
the stream it links to."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.http import QueryDict

from dailypapers.library import follows
from dailypapers.library.models import Follow
from dailypapers.search.forms import SavedSearchRefused, saved_query

pytestmark = pytest.mark.django_db


def normal(**params: str) -> tuple[str, str]:
    return saved_query(QueryDict(urlencode(params)))


def test_normalisation_keeps_only_the_known_fields_in_one_spelling():
    query, label = normal(
        sort="date",
        page="3",
        utm_source="mail",
        code="on",
        date_to="2025-02-01",
        cat="cs.LG, cs.CL cs.LG <b> " + "x" * 40,
        q="  graph   neural\tnetworks ",
        date_from="not a date",
        csrfmiddlewaretoken="abc",
    )
    assert query == "q=graph+neural+networks&cat=cs.CL+cs.LG&date_to=2025-02-01&code=on&sort=date"
    assert label == "graph neural networks"
    # the same search however it was spelt is the same saved search
    assert (
        normal(
            q="graph neural networks",
            cat="cs.LG cs.CL",
            date_to="2025-02-01",
            code="on",
            sort="date",
        )[0]
        == query
    )
    assert normal(q="x", sort="relevance")[0] == "q=x"  # the default order is not stored
    assert normal(q="x", sort="nonsense")[0] == "q=x"
    assert normal(cat="hep-th", code="on") == ("cat=hep-th&code=on", "Papers hep-th · with code")


@pytest.mark.parametrize(
    "params, message",
    [
        ({}, "Nothing to follow"),
        ({"q": "   ", "page": "2", "junk": "1"}, "Nothing to follow"),
        ({"q": "a" * 251}, "at most 250 characters"),
        ({"q": "bad\x00byte"}, "cannot be saved"),
    ],
)
def test_refusals(params, message):
    with pytest.raises(SavedSearchRefused, match=message):
        normal(**params)


def _follow_form(html: str) -> str:
    return re.search(r'name="search" value="([^"]*)"', html)[1].replace("&amp;", "&")


def test_follow_this_search_from_the_page_and_its_stream(client, cast, indexed):
    client.force_login(cast.member)
    html = client.get(
        "/search", {"q": "quantum codes", "cat": "quant-ph", "page": "1", "x": "y"}
    ).content.decode()
    assert "Follow this search" in html
    carried = _follow_form(html)
    assert carried == "q=quantum+codes&cat=quant-ph"
    response = client.post("/search/follow", {"search": carried + "&page=9&evil=1"})
    assert response.status_code == 302
    assert response["Location"] == "/search?q=quantum+codes&cat=quant-ph"
    [saved] = follows.saved_searches(cast.member)
    assert (saved.query, saved.label) == ("q=quantum+codes&cat=quant-ph", "quantum codes")
    html = client.get(response["Location"]).content.decode()
    assert "Following as" in html and "Unfollow this search" in html
    # the stream: the same search, newest first
    page = client.get("/following").content.decode()
    stream = re.search(r'href="(/search\?[^"]*sort=date)"', page)[1].replace("&amp;", "&")
    assert stream == "/search?q=quantum+codes&cat=quant-ph&sort=date"
    assert client.get(stream).status_code == 200
    # following again with a name renames it; unfollowing removes it
    client.post("/search/follow", {"search": carried, "label": "  Surface   codes "})
    assert follows.saved_searches(cast.member)[0].label == "Surface codes"
    assert Follow.objects.count() == 1
    client.post("/search/follow", {"search": carried, "action": "unfollow"})
    client.post("/search/follow", {"search": carried, "action": "unfollow"})
    assert not Follow.objects.exists()


def test_htmx_follow_returns_the_bar(client, cast, indexed):
    client.force_login(cast.member)
    response = client.post("/search/follow", {"search": "q=diffusion"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.startswith('<div class="follow-bar" id="follow-search">')
    assert "Following as" in body
    response = client.post("/search/follow", {"search": "q=" + "z" * 300}, HTTP_HX_REQUEST="true")
    assert 'role="alert"' in response.content.decode()
    assert "at most 250 characters" in response.content.decode()


def test_refused_searches_say_why(client, cast, indexed):
    client.force_login(cast.member)
    response = client.post("/search/follow", {"search": "q=" + "z" * 300})
    assert response.status_code == 400
    assert "at most 250 characters (these are 300)" in response.content.decode()
    response = client.post("/search/follow", {"search": "page=2"})
    assert response.status_code == 400 and "Nothing to follow" in response.content.decode()
    response = client.post("/search/follow", {"search": "q=x", "label": "n" * 201})
    assert response.status_code == 400 and "at most 200 characters" in response.content.decode()
    long_words = "q=" + "%E4%B8%AD" * 240  # 240 CJK characters: 2,162 in the address
    response = client.post("/search/follow", {"search": long_words})
    assert response.status_code == 400 and "too long to save" in response.content.decode()
    assert not Follow.objects.exists()


def test_visitors_are_sent_to_log_in(client, indexed):
    html = client.get("/search", {"q": "diffusion"}).content.decode()
    assert "Log in to follow this search" in html
    response = client.post("/search/follow", {"search": "q=diffusion&cat=cs.CV"})
    assert response["Location"] == "/accounts/login/?next=%2Fsearch%3Fq%3Ddiffusion%26cat%3Dcs.CV"
    assert not Follow.objects.exists()


def test_search_page_offers_to_follow_its_categories(client, cast, indexed):
    client.force_login(cast.member)
    html = client.get("/search", {"cat": "cs.CV nope.XX"}).content.decode()
    assert 'action="/following/categories/cs.CV"' in html
    assert "nope.XX</a>" not in html
    client.post("/following/categories/cs.CV")
    html = client.get("/search", {"cat": "cs.CV"}).content.decode()
    assert 'data-following="true"' in html


def test_a_saved_searchs_stream_is_recognised_as_it(client, cast, indexed):
    client.force_login(cast.member)
    client.post("/search/follow", {"search": "q=diffusion&sort=votes"})
    html = client.get("/search", {"q": "diffusion", "sort": "date"}).content.decode()
    assert "Following as" in html
    assert 'name="search" value="q=diffusion&amp;sort=votes"' in html  # unfollows the saved one
    client.post("/search/follow", {"search": "q=diffusion&sort=votes", "action": "unfollow"})
    assert not Follow.objects.exists()
    client.post("/search/follow", {"search": "q=diffusion"})
    assert "Following as" in client.get("/search?q=diffusion&sort=date").content.decode()
    assert "Following as" not in client.get("/search?q=diffusion&sort=votes").content.decode()
