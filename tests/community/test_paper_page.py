"""The paper page: every id form resolves, missing papers are fetched, LaTeX source shows."""

from __future__ import annotations

import pytest

from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import PaperRecord
from dailypapers.community import fetch
from dailypapers.sources.http import SourceError

from .helpers import make_entry, make_paper

pytestmark = pytest.mark.django_db


def test_page_shows_the_paper(client, cast):
    entry = make_entry(
        by=cast.owner,
        title="Energy of $E=mc^2$ models",
        abstract="We show $\\alpha_1 < \\beta$ holds.\nSecond line.",
        categories=["cs.CL", "cs.LG"],
    )
    entry.paper.project_page = "https://example.org/project"
    entry.paper.save()
    page = client.get(f"/papers/{entry.paper.arxiv_id}").content.decode()
    assert "Energy of $E=mc^2$ models" in page  # the source, for KaTeX or for no JavaScript
    assert "$\\alpha_1 &lt; \\beta$" in page
    assert f"https://arxiv.org/pdf/{entry.paper.arxiv_id}" in page
    assert f"https://arxiv.org/abs/{entry.paper.arxiv_id}" in page
    assert "https://example.org/project" in page
    assert "cs.CL" in page and "cs.LG" in page
    assert "><bdi>owner</bdi></a>" in page
    assert "/static/vendor/katex/katex.min.js" in page
    assert "Discussion" in page


def test_versions_and_urls_redirect_to_the_plain_id(client):
    paper = make_paper()
    response = client.get(f"/papers/{paper.arxiv_id}v3")
    assert response.status_code == 301
    assert response["Location"] == f"/papers/{paper.arxiv_id}"


def test_old_style_ids_resolve(client):
    make_paper(arxiv_id="hep-th/9901001", title="An old string theory paper")
    assert "An old string theory paper" in client.get("/papers/hep-th/9901001").content.decode()
    assert client.get("/papers/hep-th/9901001v2")["Location"] == "/papers/hep-th/9901001"
    assert client.get("/papers/math.GT/0309136").status_code in {301, 404}


def test_unfeatured_paper_offers_submission(client):
    paper = make_paper()
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    assert f"/submit?id={paper.arxiv_id}" in page


def test_missing_paper_is_fetched_on_demand(client, monkeypatch):
    asked = []

    def fake(arxiv_id):
        asked.append(arxiv_id)
        return PaperRecord(
            arxiv_id=arxiv_id,
            version=2,
            title="Fetched from arXiv",
            abstract="Abs.",
            authors=["Grace Hopper"],
            categories=["cs.PL"],
        )

    monkeypatch.setattr(fetch, "fetch_record", fake)
    page = client.get("/papers/2510.00001").content.decode()
    assert "Fetched from arXiv" in page
    assert asked == ["2510.00001"]
    assert Paper.objects.filter(arxiv_id="2510.00001").exists()
    client.get("/papers/2510.00001")
    assert asked == ["2510.00001"]  # the second time it comes from the catalogue


def test_unknown_and_unreachable(client, monkeypatch):
    monkeypatch.setattr(fetch, "fetch_record", lambda arxiv_id: None)
    assert client.get("/papers/2510.00002").status_code == 404

    def down(arxiv_id):
        raise SourceError("no route")

    monkeypatch.setattr(fetch, "fetch_record", down)
    response = client.get("/papers/2510.00003")
    assert response.status_code == 503
    assert "arXiv could not be reached" in response.content.decode()


def test_not_an_id_is_not_found(client):
    assert client.get("/papers/not-an-id").status_code == 404
    assert client.get("/papers/" + "9" * 300).status_code == 404


def test_paper_page_runs_a_fixed_number_of_queries(client, cast, django_assert_num_queries):
    from dailypapers.community.comments import post_comment

    entry = make_entry(by=cast.owner)
    client.force_login(cast.member)
    first = post_comment(cast.owner, entry.paper, "First")
    url = f"/papers/{entry.paper.arxiv_id}"
    # paper, entry, session, user, votes, comments, the user's two permission lookups; the
    # reader's saved and read papers, their collections and those holding this paper; the
    # links set by hand
    with django_assert_num_queries(13):
        client.get(url)
    for n in range(10):
        post_comment(cast.member, entry.paper, f"Reply {n}", parent=first)
    with django_assert_num_queries(13):
        client.get(url)
