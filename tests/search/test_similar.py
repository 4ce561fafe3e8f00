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
