"""RSS and Atom for a month, an author, a category and a public collection: each parses
(feedparser) and passes the strict check, with the list's entries in the list's order, math
as readable text, a fixed number of queries, and a link from the list's page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Author, Paper
from dailypapers.community.browse import author_ref
from dailypapers.library import services as library
from tests.feedcheck import check, read

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db

KINDS = ["rss", "atom"]


def links_feeds(html: str, rss: str, atom: str) -> bool:
    head = html.split("</head>", maxsplit=1)[0]
    return (
        '<link rel="alternate" type="application/rss+xml"' in head
        and f'href="{rss}"' in head
        and f'href="{atom}"' in head
        and f'<a href="{rss}">RSS</a>' in html.split("</head>")[1]
    )


@pytest.mark.parametrize("kind", KINDS)
def test_month_feed_lists_the_months_papers_by_votes(client, cast, kind):
    make_entry(day=date(2026, 10, 3), upvotes=1, title="Few votes")
    make_entry(day=date(2026, 10, 20), upvotes=9, title="Most votes")
    make_entry(day=date(2026, 11, 1), upvotes=50, title="Next month")
    parsed = read(client.get(f"/papers/month/2026-10/feed.{kind}"), kind)
    assert [e.title for e in parsed.entries] == ["Most votes", "Few votes"]
    assert parsed.feed.title.endswith("October 2026")
    assert parsed.feed.link == "http://testserver/papers/month/2026-10"
    assert "9 upvotes" in parsed.entries[0].summary


def test_month_page_links_its_feeds(client, db):
    html = client.get("/papers/month/2026-10").content.decode()
    assert links_feeds(html, "/papers/month/2026-10/feed.rss", "/papers/month/2026-10/feed.atom")


@pytest.mark.parametrize("slug", ["2026-13", "2026-00", "x", "99999-01", "2026-1%00"])
def test_a_bad_month_feed_is_not_found(client, db, slug):
    assert client.get(f"/papers/month/{slug}/feed.rss").status_code in {400, 404}


def test_math_reads_as_text(client, db):
    paper = make_paper(
        title=r"On $\alpha$-divergence and \emph{things}",
        abstract=r"We bound $\sum_i x_i^2 \le \beta$ for \textbf{all} inputs.",
    )
    make_entry(paper, day=date(2026, 10, 5), upvotes=1)
    for kind in KINDS:
        parsed = read(client.get(f"/papers/month/2026-10/feed.{kind}"), kind)
        entry = parsed.entries[0]
        assert entry.title == "On \u03b1-divergence and things"
        assert "$" not in entry.summary and "\\" not in entry.summary
        assert "\u03b2" in entry.summary and "all inputs" in entry.summary


@pytest.mark.parametrize("kind", KINDS)
def test_author_feed_lists_their_papers_newest_first(client, db, kind):
    now = timezone.now()
    old = make_paper(authors=["Emmy Noether"], submitted=now - timedelta(days=30))
    new = make_paper(authors=["Emmy Noether", "Ada Lovelace"], submitted=now - timedelta(days=1))
    make_paper(authors=["Someone Else"], submitted=now)
    author = Author.objects.get(name="Emmy Noether")
    url = f"/authors/{author_ref(author)}/feed.{kind}"
    parsed = read(client.get(url), kind)
    assert [e.link for e in parsed.entries] == [
        f"http://testserver/papers/{new.arxiv_id}",
        f"http://testserver/papers/{old.arxiv_id}",
    ]
    assert "Emmy Noether" in parsed.feed.title
    # the id decides, as for the page: a stale name part still finds the author
    assert client.get(f"/authors/{author.pk}-old-name/feed.{kind}").status_code == 200
    html = client.get(f"/authors/{author_ref(author)}").content.decode()
    assert links_feeds(html, url.replace(f".{kind}", ".rss"), url.replace(f".{kind}", ".atom"))


@pytest.mark.parametrize("ref", ["0", "abc", "9" * 30, "1-%00", "99999"])
def test_a_bad_author_feed_is_not_found(client, db, ref):
    assert client.get(f"/authors/{ref}/feed.rss").status_code in {400, 404}


@pytest.mark.parametrize("kind", KINDS)
def test_category_feed_lists_its_newest_papers(client, db, kind):
    now = timezone.now()
    first = make_paper(categories=["hep-th"], submitted=now - timedelta(days=3))
    second = make_paper(categories=["hep-th", "gr-qc"], submitted=now - timedelta(days=1))
    make_paper(categories=["cs.LG"], submitted=now)
    parsed = read(client.get(f"/categories/hep-th/feed.{kind}"), kind)
    assert [e.link.rsplit("/", 1)[1] for e in parsed.entries] == [
        second.arxiv_id,
        first.arxiv_id,
    ]
    html = client.get("/categories/hep-th").content.decode()
    assert links_feeds(html, "/categories/hep-th/feed.rss", "/categories/hep-th/feed.atom")


@pytest.mark.parametrize("code", ["nope", "CS.LG", "a" * 40, "cs.LG%00", "<script>"])
def test_a_bad_category_feed_is_not_found(client, db, code):
    assert client.get(f"/categories/{code}/feed.atom").status_code in {400, 404}


@pytest.mark.parametrize("kind", KINDS)
def test_public_collection_feed_lists_the_last_added_first_with_notes(client, cast, kind):
    shelf = library.create_collection(cast.owner, "Kernels", description="On $k$-means")
    first, second = make_paper(), make_paper(title=r"The $\gamma$ trick")
    library.add(shelf, first)
    library.add(shelf, second)
    item = shelf.items.get(paper=second)
    library.set_note(item, "Read **this** <b>first</b>")
    url = f"/c/owner/{shelf.slug}/feed.{kind}"
    assert client.get(url).status_code == 404  # private: no feed
    library.update_collection(shelf, name="Kernels", description=shelf.description, public=True)
    parsed = read(client.get(url), kind)
    assert [e.title for e in parsed.entries] == ["The \u03b3 trick", first.title]
    assert "Note: Read **this** <b>first</b>" in parsed.entries[0].summary
    html = client.get(f"/c/owner/{shelf.slug}").content.decode()
    assert links_feeds(html, f"/c/owner/{shelf.slug}/feed.rss", f"/c/owner/{shelf.slug}/feed.atom")


def test_a_private_collection_has_no_feed_even_for_its_owner(client, cast):
    shelf = library.create_collection(cast.owner, "Secret")
    library.add(shelf, make_paper())
    client.force_login(cast.owner)
    assert client.get(f"/c/owner/{shelf.slug}").status_code == 200
    assert client.get(f"/c/owner/{shelf.slug}/feed.rss").status_code == 404
    html = client.get(f"/c/owner/{shelf.slug}").content.decode()
    assert "feed.rss" not in html.replace('href="/papers/feed.rss"', "")
    assert client.get("/c/nobody/x/feed.rss").status_code == 404


def test_every_list_feed_passes_the_strict_check(client, cast):
    paper = make_paper(title="<script>alert(1)</script> & $\\x$ \\frac{a}{")
    make_entry(paper, day=date(2026, 10, 5), upvotes=1)
    author = Author.objects.get(name="Ada Lovelace")
    for url in (
        "/papers/month/2026-10/feed",
        f"/authors/{author_ref(author)}/feed",
        "/categories/cs.LG/feed",
        "/papers/feed",
        "/papers/trending/feed",
    ):
        for kind in KINDS:
            response = client.get(f"{url}.{kind}")
            assert response.status_code == 200, url
            assert check(response.content) == [], url
            parsed = read(response, kind)
            assert parsed.entries, url


def test_list_feeds_run_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    def fill(n: int) -> None:
        for _ in range(n):
            make_entry(day=date(2026, 10, 5), by=cast.owner)

    shelf = library.create_collection(cast.owner, "Many", public=True)
    for n in (2, 20):
        fill(n)
        for paper in Paper.objects.all():
            library.add(shelf, paper)
        author = Author.objects.get(name="Ada Lovelace")
        with django_assert_num_queries(1):  # the month's entries with their papers
            client.get("/papers/month/2026-10/feed.rss")
        with django_assert_num_queries(3):  # the author, their paper ids, the papers
            client.get(f"/authors/{author_ref(author)}/feed.rss")
        with django_assert_num_queries(2):  # the category, its papers
            client.get("/categories/cs.LG/feed.atom")
        with django_assert_num_queries(2):  # the collection with its owner, its items
            client.get(f"/c/owner/{shelf.slug}/feed.atom")
