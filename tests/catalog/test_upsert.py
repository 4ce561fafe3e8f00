"""The upsert service: idempotent, newer wins, older never overwrites, unknown fields kept.

What one record does is tested on both ways in: the one-paper path through the ORM
(``upsert_paper``) and the bulk one of ingest runs (``upsert_papers``)."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from dailypapers.catalog.merge import UpsertResult
from dailypapers.catalog.models import Author, Category, Paper, PaperAuthor, PaperCategory
from dailypapers.catalog.records import InvalidRecord, PaperRecord
from dailypapers.catalog.signals import papers_changed
from dailypapers.catalog.upsert import upsert_paper, upsert_papers

pytestmark = pytest.mark.django_db

JAN = datetime(2025, 1, 6, 18, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 18, tzinfo=UTC)


def _one_in_a_batch(record: PaperRecord, *, source: str) -> UpsertResult:
    return upsert_papers([record], source=source)


@pytest.fixture(params=["one paper", "bulk"])
def upsert(request) -> Callable[..., UpsertResult]:
    """Upsert one record, by either way into the catalogue."""
    return upsert_paper if request.param == "one paper" else _one_in_a_batch


def test_new_paper_is_stored_with_every_field(make_record, upsert):
    record = make_record(
        arxiv_id="2501.00001v2",
        version=None,  # taken from the id
        title="  Attention\n  Is All You Need  ",
        abstract="  First line\nwraps here.\n  Second paragraph.\n",
        authors=["Bal\\'azs Szegedy", "Ashish Vaswani"],
        categories=["cs.CL", "cs.LG"],
        submitted=JAN,
        updated=FEB,
        comments="15 pages. Code: https://github.com/org/repo. Project page: https://org.github.io/p/",
        journal_ref="NeurIPS 2017",
        doi="10.1000/xyz",
        report_no="TR-1",
        license="http://creativecommons.org/licenses/by/4.0/",
    )
    result = upsert(record, source="test")
    assert (result.added, result.updated) == (1, 0)
    paper = Paper.objects.get(arxiv_id="2501.00001")
    assert paper.version == 2
    assert paper.title == "Attention Is All You Need"
    assert paper.abstract == "First line wraps here.\n\nSecond paragraph."
    assert paper.author_names == ["Balázs Szegedy", "Ashish Vaswani"]
    assert list(paper.authors.order_by("paper_links__position").values_list("name", flat=True)) == [
        "Balázs Szegedy",
        "Ashish Vaswani",
    ]
    assert paper.primary_category == "cs.CL"
    assert paper.categories == ["cs.CL", "cs.LG"]
    assert set(paper.category_links.values_list("category_id", flat=True)) == {"cs.CL", "cs.LG"}
    assert (paper.submitted, paper.updated) == (JAN, FEB)
    assert paper.journal_ref == "NeurIPS 2017"
    assert paper.doi == "10.1000/xyz"
    assert paper.code_links == ["https://github.com/org/repo"]
    assert paper.code_url == "https://github.com/org/repo"
    assert paper.project_page == "https://org.github.io/p/"
    assert paper.needs_index
    assert paper.last_source == "test"


def test_same_record_twice_changes_nothing(make_record, upsert):
    record = make_record(arxiv_id="2501.00002", submitted=JAN)
    upsert(record, source="test")
    before = Paper.objects.get(arxiv_id="2501.00002")
    Paper.objects.update(needs_index=False)
    result = upsert(record, source="test")
    assert (result.added, result.updated, result.unchanged) == (0, 0, 1)
    after = Paper.objects.get(arxiv_id="2501.00002")
    assert after.changed_at == before.changed_at
    assert not after.needs_index
    assert Paper.objects.count() == 1
    assert PaperAuthor.objects.count() == 2
    assert Author.objects.count() == 2


def test_a_second_run_writes_nothing(make_record):
    records = [make_record() for _ in range(20)]
    upsert_papers(records, source="test")
    with CaptureQueriesContext(connection) as queries:
        result = upsert_papers(records, source="test")
    assert result.unchanged == 20
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_newer_version_updates_in_place(make_record, upsert):
    upsert(make_record(arxiv_id="2501.00003", version=1, title="Old", updated=JAN), source="a")
    Paper.objects.update(needs_index=False)
    result = upsert(
        make_record(
            arxiv_id="2501.00003v2",
            version=None,
            title="New",
            updated=FEB,
            authors=["Grace Hopper"],
        ),
        source="b",
    )
    assert result.updated == 1
    paper = Paper.objects.get(arxiv_id="2501.00003")
    assert (paper.version, paper.title, paper.updated) == (2, "New", FEB)
    assert paper.author_names == ["Grace Hopper"]
    assert list(paper.authors.values_list("name", flat=True)) == ["Grace Hopper"]
    assert paper.needs_index
    assert paper.last_source == "b"
    assert Paper.objects.count() == 1


def test_older_record_never_overwrites(make_record, upsert):
    upsert(make_record(arxiv_id="2501.00004", version=3, title="v3", updated=FEB), source="a")
    result = upsert(
        make_record(arxiv_id="2501.00004", version=2, title="v2", updated=JAN), source="b"
    )
    assert result.older == 1
    assert Paper.objects.get(arxiv_id="2501.00004").title == "v3"
    # Same version, but last updated earlier: older too.
    result = upsert(
        make_record(arxiv_id="2501.00004", version=3, title="stale", updated=JAN), source="b"
    )
    assert result.older == 1
    assert Paper.objects.get(arxiv_id="2501.00004").title == "v3"


def test_fields_a_source_does_not_know_are_kept(make_record, upsert):
    upsert(
        make_record(arxiv_id="2501.00005", doi="10.1/abc", comments="8 pages", submitted=JAN),
        source="a",
    )
    result = upsert(
        make_record(
            arxiv_id="2501.00005",
            title="A better title",
            abstract=None,
            authors=None,
            categories=None,
            doi=None,
            comments=None,
            submitted=None,
        ),
        source="b",
    )
    assert result.updated == 1
    paper = Paper.objects.get(arxiv_id="2501.00005")
    assert paper.title == "A better title"
    assert paper.doi == "10.1/abc"
    assert paper.comments == "8 pages"
    assert paper.submitted == JAN
    assert paper.abstract == "We study things. We find results."
    assert paper.author_names == ["Ada Lovelace", "Alan Turing"]
    assert paper.categories == ["cs.LG", "stat.ML"]


def test_authors_are_shared_between_papers(make_record):
    upsert_papers(
        [
            make_record(authors=["Yann LeCun", "Yoshua Bengio"]),
            make_record(authors=["Yoshua Bengio", "Geoffrey Hinton"]),
        ],
        source="test",
    )
    bengio = Author.objects.get(name="Yoshua Bengio")
    assert bengio.papers.count() == 2
    assert Author.objects.count() == 3


def test_within_a_batch_the_newest_record_wins(make_record):
    result = upsert_papers(
        [
            make_record(arxiv_id="2501.00006", version=2, title="v2"),
            make_record(arxiv_id="2501.00006", version=1, title="v1"),
        ],
        source="test",
    )
    assert result.added == 1
    assert Paper.objects.get(arxiv_id="2501.00006").title == "v2"


def test_bad_records_are_rejected_without_stopping_the_batch(make_record):
    result = upsert_papers(
        [
            make_record(arxiv_id="not-an-id"),
            make_record(title="   "),
            make_record(abstract="x" * 10_000_000),  # a 10 MB abstract
            make_record(arxiv_id="2501.00007", title=None),  # new paper without a title
            make_record(arxiv_id="2501.00008"),
        ],
        source="test",
    )
    assert result.added == 1
    reasons = dict(result.rejected)
    assert "not an arXiv id" in reasons[0]
    assert "title is empty" in reasons[1]
    assert "10,000,000 characters" in reasons[2]
    assert "needs a title" in reasons[3]
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2501.00008"]
    with pytest.raises(InvalidRecord):
        upsert_paper(make_record(arxiv_id="2501.1"), source="test")


def test_hostile_text_is_stored_as_it_is(make_record, upsert):
    title = "<script>alert('x')</script> Robert'); DROP TABLE catalog_paper;--"
    upsert(make_record(arxiv_id="2501.00009", title=title), source="test")
    assert Paper.objects.get(arxiv_id="2501.00009").title == title
    assert Paper.objects.count() == 1


def test_changes_are_announced_after_commit(
    make_record, upsert, django_capture_on_commit_callbacks
):
    seen: list[list[str]] = []

    def receiver(sender, arxiv_ids, **kwargs):
        seen.append(arxiv_ids)

    record = make_record(arxiv_id="2501.00010")
    papers_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            upsert(record, source="test")
        with django_capture_on_commit_callbacks(execute=True):
            upsert(record, source="test")  # unchanged: nothing to announce
    finally:
        papers_changed.disconnect(receiver)
    assert seen == [["2501.00010"]]


def test_category_change_relinks(make_record, upsert):
    upsert(make_record(arxiv_id="2501.00011", categories=["cs.CV"]), source="a")
    upsert(make_record(arxiv_id="2501.00011", categories=["cs.AI", "cs.CV"]), source="a")
    paper = Paper.objects.get(arxiv_id="2501.00011")
    assert paper.primary_category == "cs.AI"
    assert set(PaperCategory.objects.filter(paper=paper).values_list("category", flat=True)) == {
        "cs.AI",
        "cs.CV",
    }
    assert Category.objects.filter(code="cs.AI").exists()
    assert Paper.objects.in_category("cs.AI").count() == 1


def test_one_paper_goes_in_through_the_orm(make_record):
    saved: list[tuple[str, bool]] = []

    def receiver(sender, instance, created, **kwargs):
        saved.append((instance.arxiv_id, created))

    post_save.connect(receiver, sender=Paper)
    try:
        upsert_paper(make_record(arxiv_id="2501.00012", title="First"), source="a")
        upsert_paper(make_record(arxiv_id="2501.00012", version=2, title="Second"), source="a")
        upsert_papers([make_record(arxiv_id="2501.00013")], source="a")
    finally:
        post_save.disconnect(receiver, sender=Paper)
    # Model saves, with their signals; an ingest batch writes plain rows.
    assert saved == [("2501.00012", True), ("2501.00012", False)]
    paper = Paper.objects.get(arxiv_id="2501.00012")
    assert (paper.version, paper.title, paper.needs_index) == (2, "Second", True)
