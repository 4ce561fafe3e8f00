"""An index written by an older version: search says so, and the index job rebuilds it."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django_tasks import default_task_backend

from dailypapers.search import tasks
from dailypapers.search.holder import HOLDER
from dailypapers.search.tasks import update_index

pytestmark = pytest.mark.django_db


def age_the_index(settings) -> None:
    path = settings.SEARCH_INDEX_DIR / "manifest.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format": 1}))
    HOLDER.forget()


def test_search_waits_for_the_rebuild_and_keeps_the_vectors(
    client, indexed, search_settings, caplog
) -> None:
    age_the_index(search_settings)
    cache.delete(tasks.QUEUED_KEY)
    default_task_backend.clear()

    page = client.get("/search", {"q": "galaxy clusters"})
    assert page.status_code == 503
    assert page["Retry-After"]
    assert b"being rebuilt" in page.content
    api = client.get("/api/papers/search", {"q": "galaxy"})
    assert api.status_code == 503
    assert "format 1" in caplog.text
    assert [r.task.name for r in default_task_backend.results] == ["update_index"]

    embedder = HOLDER.embedder()
    before = len(embedder.embedded)
    update_index.call()
    assert len(embedder.embedded) == before  # every vector came from the old files
    page = client.get("/search", {"q": "galaxy clusters"})
    assert page.status_code == 200
    assert b"Dark matter halos" in page.content
    assert HOLDER.index().stats().unembedded == 0


def test_paper_pages_do_without_similar_papers_meanwhile(client, indexed, search_settings):
    age_the_index(search_settings)
    response = client.get(f"/papers/{indexed[0]}")
    assert response.status_code == 200
