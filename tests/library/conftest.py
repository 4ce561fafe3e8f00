"""Fixtures for the library's tests: a reader, a small catalogue of real papers, the import
fixtures (files as Zotero and other tools write them) and arXiv on loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sources.conftest import loopback, sources

__all__ = ["loopback", "sources"]

FIXTURES = Path(__file__).parent / "fixtures"

# (arXiv id, title as arXiv has it, DOI): the papers the fixtures name.
CATALOGUE = [
    (
        "2010.11929",
        "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        "",
    ),
    ("1412.6980", "Adam: A Method for Stochastic Optimization", ""),
    ("2106.09685", "LoRA: Low-Rank Adaptation of Large Language Models", ""),
    (
        "1810.04805",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language\n  Understanding",
        "",
    ),
    (
        "hep-th/9711200",
        "The Large N Limit of Superconformal Field Theories and Supergravity",
        "10.1023/A:1026654312961",
    ),
    ("1512.03385", "Deep Residual Learning for Image Recognition", ""),
    ("1905.01234", "On $\\alpha$-Divergences and M\\\"uller's Theorem", ""),
    ("2201.00001", "Deep Learning for Physics", ""),
    ("2202.00002", "Deep learning for physics", ""),
]


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def catalogue(db: Any) -> dict[str, int]:
    """The papers above, through the upsert as every source adds them; arXiv id -> pk."""
    from dailypapers.catalog.models import Paper
    from dailypapers.catalog.records import PaperRecord
    from dailypapers.catalog.upsert import upsert_papers

    upsert_papers(
        [
            PaperRecord(
                arxiv_id=i,
                version=1,
                title=t,
                abstract="We study things.",
                authors=["Ada Lovelace"],
                categories=["cs.LG"],
                doi=d or None,
            )
            for i, t, d in CATALOGUE
        ],
        source="test",
    )
    return dict(Paper.objects.values_list("arxiv_id", "pk"))


@pytest.fixture
def reader(db: Any) -> Any:
    from tests.community.helpers import make_user

    return make_user("reader")


@pytest.fixture
def start(reader: Any) -> Callable[..., Any]:
    """An import of a fixture (or a text) into a collection, run to its end."""
    from dailypapers.library.imports import job
    from dailypapers.library.models import Collection, LibraryImport

    def run(
        fmt: str, name: str = "", *, text: str = "", into: Any = None, run_it: bool = True
    ) -> Any:
        collection = (
            into
            or Collection.objects.get_or_create(
                owner=reader, slug="imported", defaults={"name": "Imported"}
            )[0]
        )
        created = LibraryImport.objects.create(
            owner=reader,
            collection=collection,
            format=fmt,
            filename=name,
            text=text or fixture_text(name),
        )
        if run_it:
            job.run(created.pk)
            created.refresh_from_db()
        return created

    return run


@pytest.fixture
def no_fetch(settings: Any) -> Any:
    settings.FETCH_MISSING_PAPERS = False
    return settings


@pytest.fixture(autouse=True)
def _fresh_cache(fresh_cache: None) -> None:
    """Every library test starts with an empty cache (rate limits, visitors' pages)."""
