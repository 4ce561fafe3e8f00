"""A search index of its own per test, with the word-vector stand-in for the model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

EMBEDDER = "tests.papersearch.conftest.WordEmbedder"


@pytest.fixture
def search_settings(settings: Any, tmp_path: Path) -> Iterator[Any]:
    from dailypapers.search import keeper

    settings.SEARCH_INDEX_DIR = tmp_path / "search"
    settings.SEARCH_EMBEDDER = EMBEDDER
    settings.SEARCH_EMBED_BATCH = 8
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    keeper.forget_index()
    yield settings
    keeper.forget_index()


TOPICS = [
    ("Graph neural networks for molecule property prediction", "cs.LG"),
    ("Diffusion models for image synthesis", "cs.CV"),
    ("Large language model reasoning with chain of thought", "cs.CL"),
    ("Dark matter halos in galaxy clusters", "astro-ph.CO"),
    ("Quantum error correction with surface codes", "quant-ph"),
    ("Reinforcement learning for robot manipulation", "cs.RO"),
]


@pytest.fixture
def add_papers(search_settings: Any) -> Callable[..., list[str]]:
    """Put papers in the catalogue (through the upsert, as every source does)."""
    from dailypapers.catalog.records import PaperRecord
    from dailypapers.catalog.upsert import upsert_papers

    counter = iter(range(1, 99_999))

    def add(n: int = 12, **overrides: Any) -> list[str]:
        records = []
        for _ in range(n):
            i = next(counter)
            topic, category = TOPICS[i % len(TOPICS)]
            values: dict[str, Any] = {
                "arxiv_id": f"2501.{i:05d}",
                "version": 1,
                "title": f"{topic}, part {i}",
                "abstract": f"We study {topic.lower()}. Variant {i} improves on earlier work.",
                "authors": ["Grace Hopper"] if i % 3 == 0 else ["Ada Lovelace", "Alan Turing"],
                "categories": [category],
                "submitted": datetime(2025, 1, 1 + i % 28, tzinfo=UTC),
                "repo_url": "https://github.com/example/code" if i % 4 == 0 else None,
            }
            values.update(overrides)
            records.append(PaperRecord(**values))
        upsert_papers(records, source="test")
        return [r.arxiv_id for r in records]

    return add


@pytest.fixture
def indexed(add_papers: Callable[..., list[str]]) -> list[str]:
    """Twelve papers, indexed and embedded."""
    from dailypapers.search import keeper

    ids = add_papers(12)
    keeper.index_pending()
    return ids


@pytest.fixture
def queue(search_settings: Any) -> Iterator[Any]:
    """The job queue (the dummy backend), empty, with no index job marked as waiting."""
    from django.core.cache import cache
    from django_tasks import default_task_backend

    from dailypapers.search import keeper

    cache.delete(keeper.QUEUED_KEY)
    default_task_backend.clear()
    yield default_task_backend
    cache.delete(keeper.QUEUED_KEY)
