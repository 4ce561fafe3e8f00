"""An ingest run keeps the catalogue's foreign keys whole.

On SQLite a run writes with the foreign-key checks off (they cost more than the inserts) and
checks every key once at its end; on PostgreSQL they stay on. Either way, a run that leaves a
broken link fails and says which row. These tests commit (``transaction=True``): only outside
a test's transaction does SQLite let a run turn its checks off.
"""

import pytest
from django.db import IntegrityError

from dailypapers.catalog.models import Author, Paper, PaperAuthor
from dailypapers.catalog.records import PaperRecord
from dailypapers.sources.items import Item
from dailypapers.sources.models import IngestRun
from dailypapers.sources.runner import ingest

pytestmark = pytest.mark.django_db(transaction=True)

MISSING_AUTHOR = 987_654


def items(*arxiv_ids: str) -> list[Item]:
    return [
        Item(
            position={"done": n + 1},
            record=PaperRecord(
                arxiv_id=arxiv_id,
                version=1,
                title=f"Paper {arxiv_id}",
                authors=["Ada Lovelace"],
                categories=["cs.LG"],
            ),
        )
        for n, arxiv_id in enumerate(arxiv_ids)
    ]


def test_a_run_that_leaves_a_broken_link_fails() -> None:
    def break_a_link(batch: list[Item]) -> None:
        # In the second batch: the run's first commit was whole.
        for paper in Paper.objects.filter(arxiv_id="2501.00002"):
            PaperAuthor.objects.create(paper=paper, author_id=MISSING_AUTHOR, position=1)

    run = IngestRun.objects.create(source="test", key="broken")
    with pytest.raises(IntegrityError):
        ingest(run, items("2501.00001", "2501.00002"), batch_size=1, after_upsert=break_a_link)
    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert "catalog_paperauthor" in run.last_error
    assert str(MISSING_AUTHOR) in run.last_error


def test_a_run_that_keeps_its_links_succeeds() -> None:
    run = ingest(
        IngestRun.objects.create(source="test", key="whole"),
        items("2501.00001", "2501.00002", "2501.00003"),
        batch_size=2,
    )
    assert run.status == IngestRun.Status.SUCCEEDED
    assert run.added == 3
    assert PaperAuthor.objects.filter(author=Author.objects.get(name="Ada Lovelace")).count() == 3
