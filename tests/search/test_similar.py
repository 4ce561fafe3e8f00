"""Similar papers for a paper page."""

import pytest
from django.template.loader import render_to_string

from dailypapers.catalog.models import Paper
from dailypapers.search import keeper
from dailypapers.search.services import similar_papers

pytestmark = pytest.mark.django_db


def test_similar_papers_share_the_topic(indexed, django_assert_max_num_queries):
    paper = Paper.objects.get(arxiv_id=indexed[3])  # quantum error correction, part 4
    with django_assert_max_num_queries(1):
        similar = similar_papers(paper, k=3)
    assert len(similar) == 3 and paper not in similar
    assert "Quantum error correction" in similar[0].title
    html = render_to_string("search/_similar.html", {"similar": similar})
    assert "Similar papers" in html and similar[0].arxiv_id in html


def test_no_similar_papers_before_indexing_or_embedding(add_papers):
    added = add_papers(3)
    paper = Paper.objects.get(arxiv_id=added[0])
    assert similar_papers(paper) == []
    keeper.index_pending(embed_seconds=0)
    assert similar_papers(paper) == []
    assert render_to_string("search/_similar.html", {"similar": []}).strip() == ""


def test_the_paper_page_shows_similar_papers(client, indexed):
    paper = Paper.objects.get(arxiv_id=indexed[3])  # quantum error correction, part 4
    page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
    section = page.split('<section class="similar-papers">', 1)[1].split("</section>", 1)[0]
    assert "Similar papers" in section
    assert section.count("<li>") == 6
    first = similar_papers(paper, k=1)[0]
    assert f'href="/papers/{first.arxiv_id}"' in section and "Quantum error correction" in section
    assert f'href="/papers/{paper.arxiv_id}"' not in section


def test_a_paper_page_without_an_index_shows_no_similar_section(client, add_papers):
    paper = Paper.objects.get(arxiv_id=add_papers(1)[0])
    page = client.get(f"/papers/{paper.arxiv_id}")
    assert page.status_code == 200
    assert "similar-papers" not in page.content.decode()


PENDING = "Similar papers appear once this paper is indexed."


def test_a_paper_without_its_vector_says_similar_papers_will_come(client, indexed, add_papers):
    late = add_papers(1)[0]  # in the catalogue, not yet in the index
    page = client.get(f"/papers/{late}").content.decode()
    assert PENDING in page and "similar-papers" not in page
    keeper.index_pending(embed_seconds=0)  # indexed keyword-first: still no vector
    assert PENDING in client.get(f"/papers/{late}").content.decode()
    keeper.index_pending()
    page = client.get(f"/papers/{late}").content.decode()
    assert PENDING not in page and '<section class="similar-papers">' in page


def test_an_indexed_paper_shows_no_pending_line(client, indexed):
    page = client.get(f"/papers/{indexed[0]}").content.decode()
    assert PENDING not in page and '<section class="similar-papers">' in page
