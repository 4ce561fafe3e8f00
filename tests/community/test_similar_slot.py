"""The paper page leaves a place for "Similar papers", filled when search provides it."""

from __future__ import annotations

import copy

import pytest

from dailypapers.community import views

from .helpers import make_paper

pytestmark = pytest.mark.django_db


def test_nothing_without_the_search_template(client):
    views._similar_template.cache_clear()
    paper = make_paper()
    assert client.get(f"/papers/{paper.arxiv_id}").status_code == 200


def test_the_search_template_is_included_when_it_exists(client, settings, tmp_path):
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "_similar.html").write_text(
        "<section>Similar to {{ paper.arxiv_id }}</section>"
    )
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    views._similar_template.cache_clear()
    try:
        paper = make_paper()
        page = client.get(f"/papers/{paper.arxiv_id}").content.decode()
        assert f"<section>Similar to {paper.arxiv_id}</section>" in page
    finally:
        views._similar_template.cache_clear()
