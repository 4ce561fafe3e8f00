"""Author pages: content and order, co-authors, categories, slugs and redirects, hostile
addresses; category pages; author links on cards by name; constant query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Author
from dailypapers.community.browse import PER_PAGE, author_url

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db


def ago(days: int):
    return timezone.now() - timedelta(days=days)


def author(name: str) -> Author:
    return Author.objects.get(name=name)


def test_author_page_shows_papers_newest_first_co_authors_and_categories(client):
    old = make_paper(title="Old work", authors=["Emmy Noether", "Hermann Weyl"], submitted=ago(30))
    new = make_paper(
        title="New work",
        authors=["Emmy Noether", "Hermann Weyl", "David Hilbert"],
        categories=["math.RA"],
        submitted=ago(1),
    )
    mid = make_paper(
        title="Middle work", authors=["David Hilbert", "Emmy Noether"], submitted=ago(10)
    )
    make_paper(title="Not hers", authors=["Hermann Weyl"], submitted=ago(2))
    make_entry(mid)
    emmy = author("Emmy Noether")
    response = client.get(author_url(emmy))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<bdi>Emmy Noether</bdi></h1>" in page
    assert "3 papers" in page
    assert page.index("New work") < page.index("Middle work") < page.index("Old work")
    assert "Not hers" not in page
    cards = response.context["page"].cards
    assert [c.paper.pk for c in cards] == [new.pk, mid.pk, old.pk]
    # only the featured paper has a vote button
    assert [c.entry is not None for c in cards] == [False, True, False]
    assert page.count('class="vote') == 1
    co = [(c["author__name"], c["papers"]) for c in response.context["co_authors"]]
    assert co == [("David Hilbert", 2), ("Hermann Weyl", 2)]
    assert f'href="{author_url(author("David Hilbert"))}"' in page
    cats = {c["category_id"]: c["papers"] for c in response.context["categories"]}
    assert cats == {"cs.LG": 2, "stat.ML": 2, "math.RA": 1}
    assert 'href="/categories/math.RA"' in page


def test_a_name_twice_on_one_paper_counts_it_once(client):
    make_paper(authors=["Wei Wang", "Wei Wang", "Li Na"])
    response = client.get(author_url(author("Wei Wang")))
    assert response.context["page"].total == 1
    assert [c["author__name"] for c in response.context["co_authors"]] == ["Li Na"]


def test_slug_folds_accents_and_keeps_other_scripts():
    make_paper(authors=["Jürgen Müller-Ørsted", "张伟", "!!!"])
    assert author("Jürgen Müller-Ørsted").slug == "jurgen-muller-rsted"
    assert author("张伟").slug == "张伟"
    bare = author("!!!")
    assert bare.slug == "" and author_url(bare) == f"/authors/{bare.pk}"


def test_canonical_redirects(client):
    make_paper(authors=["Ada Lovelace", "张伟"])
    ada = author("Ada Lovelace")
    canonical = f"/authors/{ada.pk}-ada-lovelace"
    assert author_url(ada) == canonical
    for wrong in (
        f"/authors/{ada.pk}",
        f"/authors/{ada.pk}-",
        f"/authors/{ada.pk}-grace",
        f"/authors/000{ada.pk}-ada-lovelace",
        f"/authors/{ada.pk}-Ada-Lovelace",
    ):
        response = client.get(wrong)
        assert response.status_code == 301, wrong
        assert response["Location"] == canonical
    assert client.get(f"/authors/{ada.pk}-x?page=2")["Location"] == canonical + "?page=2"
    assert client.get(canonical).status_code == 200
    zhang = author("张伟")
    response = client.get(f"/authors/{zhang.pk}", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][1] == 301
    assert "张伟" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/authors/abc",
        "/authors/12abc",
        "/authors/-1",
        "/authors/99999999",
        "/authors/" + "9" * 19,
        "/authors/" + "9" * 40,
        "/authors/%00",
        "/authors/1%00",
        "/authors/%E2%80%AE",
        "/authors/by-name",
        "/authors/by-name?name=",
        "/authors/by-name?name=Nobody",
        "/authors/by-name?name=%00",
        "/authors/by-name?name=" + "x" * 300,
        "/categories/nope",
        "/categories/cs.XX",
        "/categories/%00",
        "/categories/" + "a" * 40,
        "/categories/cs.LG/../x",
        "/categories/<script>",
    ],
)
def test_hostile_addresses_are_404_never_500(client, path):
    make_paper()
    # a NUL byte in the address is refused (400) before any view
    assert client.get(path).status_code == (400 if "%00" in path.split("?")[0] else 404)


def test_junk_in_slug_redirects_to_the_canonical_page(client):
    make_paper(authors=["Ada Lovelace"])
    ada = author("Ada Lovelace")
    for junk in ("%3Cscript%3E", "%E2%80%AE", "x" * 2000, "ada-lovelace%20"):
        response = client.get(f"/authors/{ada.pk}-{junk}")
        assert response.status_code == 301
        assert response["Location"] == author_url(ada)
    for junk in ("%00", "a%00b"):  # refused before any view
        assert client.get(f"/authors/{ada.pk}-{junk}").status_code == 400
    # a junk page number is the first page; a page past the end is the last
    for page in ("abc", "%00", "-3", "9" * 30, "٣"):
        assert client.get(f"{author_url(ada)}?page={page}").context["page"].number == 1
    assert client.get(f"{author_url(ada)}?page=50").context["page"].number == 1


def test_author_page_paginates(client):
    for i in range(PER_PAGE + 3):
        make_paper(title=f"Paper number {i}", authors=["Prolific Person"], submitted=ago(i + 1))
    url = author_url(author("Prolific Person"))
    first = client.get(url)
    assert len(first.context["page"].cards) == PER_PAGE
    assert first.context["page"].total == PER_PAGE + 3
    assert 'rel="next" href="?page=2"' in first.content.decode()
    second = client.get(url + "?page=2")
    titles = [c.paper.title for c in second.context["page"].cards]
    assert titles == [f"Paper number {i}" for i in range(PER_PAGE, PER_PAGE + 3)]
    assert 'rel="prev"' in second.content.decode()


def test_author_page_query_count_does_not_grow_with_papers(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.member)
    for n in (2, 30):
        name = f"Author of {n}"
        for i in range(n):
            paper = make_paper(authors=[name, f"Co {i % 5}"], submitted=ago(i + 1))
            if i % 2:
                make_entry(paper)
        with django_assert_max_num_queries(12):
            assert client.get(author_url(author(name))).status_code == 200


def test_cards_link_author_names_through_by_name(client):
    entry = make_entry(authors=["Ada Lovelace", "O'Brien & Sons <x>", "A/B?c=d"])
    page = client.get("/").content.decode()
    assert 'href="/authors/by-name?name=Ada%20Lovelace"' in page
    assert 'href="/authors/by-name?name=O%27Brien%20%26%20Sons%20%3Cx%3E"' in page
    assert "<x>" not in page
    for name in ("Ada Lovelace", "O'Brien & Sons <x>", "A/B?c=d"):
        response = client.get("/authors/by-name", {"name": name})
        assert response.status_code == 302
        assert response["Location"] == author_url(author(name))
    paper_page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert 'href="/authors/by-name?name=Ada%20Lovelace"' in paper_page
    assert 'href="/categories/cs.LG"' in paper_page


def test_list_page_queries_do_not_grow_with_cards(client, cast, django_assert_max_num_queries):
    client.force_login(cast.member)
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in (1, 25):
        for _ in range(n):
            make_entry(authors=[f"Person {i}" for i in range(12)])
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get("/")


def test_category_page_newest_first_and_paginated(client):
    make_paper(title="Elder", categories=["hep-th"], submitted=ago(9))
    make_paper(title="Younger", categories=["hep-th", "gr-qc"], submitted=ago(1))
    make_paper(title="Elsewhere", categories=["cs.CL"], submitted=ago(1))
    response = client.get("/categories/hep-th")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Younger") < page.index("Elder")
    assert "Elsewhere" not in page
    assert "2 papers" in page
    assert 'href="/accounts/login/?next=/categories/hep-th"' in page  # visitors log in to follow
    assert client.get("/categories/gr-qc").context["page"].total == 1


def test_author_and_category_pages_read_the_link_tables_through_indexes(client):
    """No query of these pages scans a link table or the papers (SQLite's plans)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("reads SQLite's query plans")
    make_paper(authors=["Ada Lovelace", "Alan Turing"])
    with CaptureQueriesContext(connection) as queries:
        client.get(author_url(author("Ada Lovelace")))
        client.get("/categories/cs.LG")
    plans = []
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            if "catalog_paper" in query["sql"]:
                cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
                plans += [row[-1] for row in cursor.fetchall()]
    assert len(plans) > 10
    assert not [p for p in plans if p.startswith("SCAN") and p != "SCAN subquery"], plans
    assert any("catalog_paperauthor_author_id" in p for p in plans)


@pytest.mark.parametrize("cap", [10_000, 100])
def test_many_papers_either_way_the_same_page(client, monkeypatch, cap):
    """An author with more papers than the count cap is read through a subquery instead of
    a list of ids: the same page either way (and a list of 1,200 ids is fine on SQLite)."""
    from dailypapers.catalog.models import Paper, PaperAuthor
    from dailypapers.community import browse

    monkeypatch.setattr(browse, "COUNT_CAP", cap)
    many = Author.objects.create(name="Many Papers")
    start = timezone.now()
    papers = Paper.objects.bulk_create(
        Paper(arxiv_id=f"2401.{i:05d}", title=f"Bulk {i}", submitted=start - timedelta(hours=i))
        for i in range(1200)
    )
    PaperAuthor.objects.bulk_create(PaperAuthor(paper=p, author=many, position=0) for p in papers)
    make_paper(title="Joint", authors=["Many Papers", "Someone Else"], submitted=ago(1000))
    response = client.get(author_url(many) + "?page=2")
    page = response.context["page"]
    assert [c.paper.title for c in page.cards] == [f"Bulk {i}" for i in range(50, 100)]
    assert (page.total, page.total_exact) == ((1201, True) if cap > 1201 else (cap, False))
    co = [(c["author__name"], c["papers"]) for c in response.context["co_authors"]]
    assert co == [("Someone Else", 1)]  # the joint paper is among the latest 1,000 read
