"""Fixtures shared by the test packages (loaded by tests/conftest.py as a plugin): the cache
emptied, a cast of users, a real SMTP server on loopback, a search index of its own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

_WINDOWS = iter(range(1_000_000))


@pytest.fixture(autouse=True)
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """The rate limiter counts in fixed windows of the clock (a minute, an hour, a day): each
    test gets windows of its own, held still while it runs, so a window that ends half-way
    through a test (between the requests it counts) cannot reset its count, and no test
    inherits another's counts. Returns the clock's reading; a test that needs time to pass
    sets ``ratelimit.time`` itself."""
    from dailypapers.community import ratelimit

    now = 2_000_000_000.0 + next(_WINDOWS) * 2 * 86_400 + 30.0  # 30 s into a fresh minute
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now))
    return now


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """Rate-limit counters and the like live in the cache: start (and end) with it empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cast(db: Any) -> SimpleNamespace:
    """owner (submits, comments), member (another confirmed user), stranger (signed up, email
    not confirmed), moderator."""
    from tests.community.helpers import make_user

    return SimpleNamespace(
        owner=make_user("owner"),
        member=make_user("member"),
        stranger=make_user("stranger", confirmed=False),
        moderator=make_user("moderator", moderator=True),
    )


@pytest.fixture
def inbox(settings: Any) -> Iterator[Any]:
    """Mail goes over real SMTP to a server on loopback; the test reads what it received."""
    from tests.accounts.smtp import start

    controller, box, port = start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield box
    controller.stop()


# --- search: an index of its own per test, with the word-vector stand-in for the model --

EMBEDDER = "tests.papersearch.conftest.WordEmbedder"


@pytest.fixture
def search_settings(settings: Any, tmp_path: Path) -> Iterator[Any]:
    from dailypapers.search.holder import HOLDER

    settings.SEARCH_INDEX_DIR = tmp_path / "search"
    settings.SEARCH_EMBEDDER = EMBEDDER
    settings.SEARCH_EMBED_BATCH = 8
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    HOLDER.forget()
    yield settings
    HOLDER.forget()


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
