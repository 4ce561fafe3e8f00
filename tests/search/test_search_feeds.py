"""RSS and Atom for search results (the page's parameters, in the page's order), a saved
search's stream, and a reader's For you picks at their private address: parsed by
feedparser, passed by the strict check, hostile parameters never a 5xx; the private address
works without a session over real HTTP, a wrong or old secret is a 404, a reset changes it."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Author
from dailypapers.library import follows
from dailypapers.library.models import ReaderState
from dailypapers.search import keeper
from tests.community.helpers import make_user
from tests.feedcheck import check, read

pytestmark = pytest.mark.django_db

KINDS = ["rss", "atom"]


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    """Cached For you feeds start empty in every test."""


def page_ids(html: str) -> list[str]:
    return re.findall(r'<li class="search-result">\s*<h2><a href="/papers/([^"]+)"', html)


def feed_ids(parsed: Any) -> list[str]:
    return [e.link.rsplit("/papers/", 1)[1] for e in parsed.entries]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "params",
    [
        {"q": "quantum surface codes"},
        {"q": "study", "cat": "cs.CV"},
        {"q": "study", "code": "on", "sort": "date"},
        {"q": "study", "date_from": "2025-01-05", "date_to": "2025-01-06"},
        {"sort": "date"},
        {"cat": "cs.LG", "sort": "votes"},
    ],
)
def test_search_feed_has_the_pages_results_in_order(client, indexed, kind, params):
    shown = page_ids(client.get("/search", params).content.decode())
    parsed = read(client.get(f"/search/feed.{kind}", params), kind)
    assert shown and feed_ids(parsed)[: len(shown)] == shown
    assert parsed.feed.link.startswith("http://testserver/search")
    itself = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert itself and itself[0].startswith(f"http://testserver/search/feed.{kind}")
    assert ("?" in itself[0]) == bool(params)


def test_search_feed_costs_one_query_whatever_its_length(
    client, indexed, django_assert_max_num_queries
):
    for params in ({"q": "study"}, {"q": "quantum"}, {"sort": "date"}):
        with django_assert_max_num_queries(2):  # the papers (a browse: and its count)
            client.get("/search/feed.rss", params)


def test_search_page_links_its_feeds(client, indexed):
    html = client.get("/search", {"q": "diffusion", "cat": "cs.CV"}).content.decode()
    head, body = html.split("</head>")
    rss = "/search/feed.rss?q=diffusion&amp;cat=cs.CV"
    assert f'type="application/rss+xml" title="Search results (RSS)" href="{rss}"' in head
    assert f'<a href="{rss}">RSS</a>' in body
    assert '<a href="/search/feed.atom?q=diffusion&amp;cat=cs.CV">Atom</a>' in body


def test_a_saved_search_has_its_stream_as_a_feed(client, indexed):
    reader = make_user("reader")
    saved = follows.follow_search(reader, "q=study&cat=cs.LG", "My graphs")
    client.force_login(reader)
    html = client.get("/following").content.decode()
    rss = f"/search/feed.rss?{follows.stream_query(saved.query)}".replace("&", "&amp;")
    assert f'<a href="{rss}">RSS</a>' in html
    client.logout()
    for kind in KINDS:
        parsed = read(client.get(f"/search/feed.{kind}?q=study&cat=cs.LG&sort=date"), kind)
        stream = page_ids(client.get("/search?q=study&cat=cs.LG&sort=date").content.decode())
        assert feed_ids(parsed) == stream and len(stream) == 2
        assert "newest first" in parsed.feed.title


def test_math_in_search_results_reads_as_text(client, add_papers):
    add_papers(1, title=r"Bounds on the $\alpha$-divergence of graph models")
    keeper.index_pending()
    for kind in KINDS:
        parsed = read(client.get(f"/search/feed.{kind}", {"q": "divergence"}), kind)
        assert parsed.entries[0].title == "Bounds on the \u03b1-divergence of graph models"


HOSTILE = [
    {"q": "quantum\x00codes"},
    {"q": "\x00"},
    {"q": "x" * 20_000},
    {"q": "study", "page": "abc", "date_from": "2025-13-45", "date_to": "\x00"},
    {"q": "study", "cat": "<script>alert(1)</script>", "sort": "'; DROP TABLE"},
    {"q": "<b>hi</b> & \\frac{a}{ $\\x$ \\begin{document} %"},
    {"q": '"unclosed phrase -', "code": "\x00on"},
    {"cat": "cs." + "a" * 5000},
    "q=%ED%A0%80%FF%FE&cat=%C0%AF",
    "q=study&q=%00&sort=date&sort=votes&page=-1&page=99999999999999999999",
    {"date_from": "9999-12-31", "date_to": "0001-01-01"},
    {"q": "author:" + "é" * 300},
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("params", HOSTILE)
def test_hostile_search_feed_parameters_never_fail(client, indexed, kind, params):
    if isinstance(params, str):  # raw bytes as a feed reader might send them
        response = client.get(f"/search/feed.{kind}?{params}")
    else:
        response = client.get(f"/search/feed.{kind}", params)
    assert response.status_code < 500
    if response.status_code == 200:
        read(response, kind)


def test_the_search_feed_waits_while_the_index_is_unavailable(client, search_settings, db):
    from dailypapers.search.holder import HOLDER

    search_settings.SEARCH_INDEX_DIR = search_settings.SEARCH_INDEX_DIR / "missing"
    HOLDER.forget()
    response = client.get("/search/feed.rss", {"q": "anything"})
    assert response.status_code in {200, 503}
    if response.status_code == 503:
        assert response["Retry-After"]


# --- For you ---------------------------------------------------------------------------


@pytest.fixture
def picked(add_papers: Any) -> Any:
    """A reader who follows an author with three new papers (one with TeX in its title)."""
    now = timezone.now()
    add_papers(2, submitted=now - timedelta(days=10))
    add_papers(
        3, authors=["Emmy Noether"], submitted=now - timedelta(days=1), title=r"On $\beta$ rings"
    )
    keeper.index_pending()
    reader = make_user("reader")
    follows.follow_author(reader, Author.objects.get(name="Emmy Noether").pk)
    return reader


def make_address(client: Any, reader: Any) -> dict[str, str]:
    client.force_login(reader)
    answer = client.post("/for-you/feed", {"action": "reset"})
    assert answer.status_code == 200
    assert answer["Referrer-Policy"] == "no-referrer" and answer["Cache-Control"] == "no-store"
    html = answer.content.decode()
    found = dict(re.findall(r'id="feed-(rss|atom)" readonly value="([^"]+)"', html))
    assert set(found) == {"rss", "atom"}
    client.logout()
    return found


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db(transaction=True)
def test_for_you_feed_works_without_a_session_and_resets(live_server, picked, client):
    urls = make_address(client, picked)
    secret = urls["rss"].rsplit("/", 1)[1].removesuffix(".rss")
    state = ReaderState.objects.get(user=picked)
    assert state.feed_digest == hashlib.sha256(secret.encode()).hexdigest()  # never the secret
    for kind, url in urls.items():
        assert url.startswith("http://testserver/for-you/feed/")
        live = url.replace("http://testserver", live_server.url)
        status, headers, body = fetch(live)  # a feed reader: no cookie, no session
        assert status == 200
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in headers["X-Robots-Tag"]
        assert check(body) == []
        parsed = read(type("R", (), {"status_code": status, "content": body})(), kind)
        assert [e.title for e in parsed.entries] == ["On \u03b2 rings"] * 3
        assert "By Emmy Noether, whom you follow" in parsed.entries[0].summary
    seen = ReaderState.objects.get(user=picked).for_you_seen_at
    assert seen is None  # reading the feed is not a visit to the page
    base = live_server.url + "/for-you/feed/"
    for wrong in ("nope", secret[:-1], secret + "x", "A" * 500, "%00", secret.upper()):
        assert fetch(f"{base}{wrong}.rss")[0] in {400, 404}
    again = make_address(client, picked)
    assert again["rss"] != urls["rss"]
    assert fetch(urls["rss"].replace("http://testserver", live_server.url))[0] == 404
    assert fetch(urls["atom"].replace("http://testserver", live_server.url))[0] == 404
    assert fetch(again["atom"].replace("http://testserver", live_server.url))[0] == 200
    client.force_login(picked)
    assert client.post("/for-you/feed", {"action": "stop"}).status_code == 302
    assert fetch(again["rss"].replace("http://testserver", live_server.url))[0] == 404


def test_a_for_you_feed_is_kept_a_while(client, picked, django_assert_num_queries):
    url = make_address(client, picked)["atom"].removeprefix("http://testserver")
    read(client.get(url), "atom")
    with django_assert_num_queries(1):  # the secret's reader; the picks are kept
        again = client.get(url)
    assert again["Referrer-Policy"] == "no-referrer"
    read(again, "atom")


def test_for_you_page_offers_the_feed_address(client, picked):
    client.force_login(picked)
    html = client.get("/for-you").content.decode()
    assert 'action="/for-you/feed"' in html and "Make a feed address" in html
    client.post("/for-you/feed", {"action": "reset"})
    html = client.get("/for-you").content.decode()
    assert "Reset the feed address" in html and "Turn the feed off" in html
    assert "/for-you/feed/" not in html  # the secret is shown once, on the reset's answer


def test_only_a_reader_makes_an_address(client, db):
    answer = client.post("/for-you/feed", {"action": "reset"})
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    assert client.get("/for-you/feed").status_code in {302, 405}


def test_visitors_search_feeds_are_kept_by_the_page_cache(
    client, indexed, settings, django_assert_num_queries
):
    settings.PAGE_CACHE_SECONDS = 60
    first = client.get("/search/feed.atom", {"q": "quantum"})
    with django_assert_num_queries(0):
        again = client.get("/search/feed.atom", {"q": "quantum"})
    assert again.content == first.content
    assert again["Content-Type"].startswith("application/atom+xml")


def test_a_reader_with_no_signals_gets_an_empty_valid_feed(client, search_settings, db):
    reader = make_user("newcomer")
    for kind, url in make_address(client, reader).items():
        parsed = read(client.get(url.removeprefix("http://testserver")), kind)
        assert parsed.entries == []
