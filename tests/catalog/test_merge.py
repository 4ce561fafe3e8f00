"""The merge rules on their own: a record and an unsaved paper, no database.

(pytest-django refuses database access in a test without the django_db mark, so these tests
also show that the rules need none.)
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from dailypapers.catalog.merge import (
    UpsertResult,
    changes,
    is_older,
    latest_records,
)
from dailypapers.catalog.models import Paper
from dailypapers.catalog.records import InvalidRecord, PaperRecord

JAN = datetime(2025, 1, 6, 18, tzinfo=UTC)
FEB = datetime(2025, 2, 10, 18, tzinfo=UTC)


def record(**overrides: Any) -> PaperRecord:
    values: dict[str, Any] = {
        "arxiv_id": "2501.00001",
        "version": 1,
        "title": "A study of things",
        "abstract": "We study things. We find results.",
        "authors": ["Ada Lovelace", "Alan Turing"],
        "categories": ["cs.LG", "stat.ML"],
        "submitted": JAN,
        "updated": JAN,
    }
    values.update(overrides)
    return PaperRecord(**values).normalized()


def stored(**overrides: Any) -> Paper:
    """The unsaved paper the catalogue would hold after taking ``record(**overrides)``."""
    return Paper(**changes(record(**overrides), None))


def test_a_new_paper_gets_every_field_the_record_knows() -> None:
    fields = changes(
        record(
            arxiv_id="2501.00001v3",
            version=None,
            comments="Code: https://github.com/org/repo. Project page: https://org.github.io/p/",
            doi=None,
        ),
        None,
    )
    assert fields["arxiv_id"] == "2501.00001"
    assert fields["version"] == 3
    assert fields["title"] == "A study of things"
    assert fields["author_names"] == ["Ada Lovelace", "Alan Turing"]
    assert fields["categories"] == ["cs.LG", "stat.ML"]
    assert fields["primary_category"] == "cs.LG"
    assert fields["code_links"] == ["https://github.com/org/repo"]
    assert fields["project_page"] == "https://org.github.io/p/"
    assert "doi" not in fields  # unknown: the model's default


def test_a_new_paper_needs_a_title() -> None:
    with pytest.raises(InvalidRecord, match="needs a title"):
        changes(record(title=None), None)


def test_the_same_record_again_changes_nothing() -> None:
    assert changes(record(), stored()) == {}


def test_a_newer_version_changes_what_it_says() -> None:
    paper = stored()
    newer = record(version=2, title="A better study", updated=FEB, authors=["Grace Hopper"])
    assert not is_older(newer, paper)
    assert changes(newer, paper) == {
        "version": 2,
        "title": "A better study",
        "updated": FEB,
        "author_names": ["Grace Hopper"],
    }


def test_older_records_are_told_apart() -> None:
    paper = stored(version=3, updated=FEB)
    assert is_older(record(version=2, updated=FEB), paper)
    assert is_older(record(version=3, updated=JAN), paper)  # same version, updated earlier
    assert not is_older(record(version=3, updated=FEB), paper)
    assert not is_older(record(version=None, updated=None), paper)


def test_fields_a_record_leaves_as_none_are_left() -> None:
    paper = stored(doi="10.1/abc", comments="8 pages")
    found = changes(
        record(
            title="Retitled",
            abstract=None,
            authors=None,
            categories=None,
            doi=None,
            comments=None,
            submitted=None,
        ),
        paper,
    )
    assert found == {"title": "Retitled"}


def test_another_source_only_fills_what_the_paper_lacks() -> None:
    paper = stored(abstract="", comments=None)
    found = changes(
        record(
            version=5,
            title="HF's title",
            abstract="An abstract at last, with code at https://github.com/hf/code.",
            repo_url="https://github.com/hf/stated",
            project_page="https://hf.example/page",
            authoritative=False,
        ),
        paper,
    )
    assert found == {
        "abstract": "An abstract at last, with code at https://github.com/hf/code.",
        "repo_url": "https://github.com/hf/stated",
        "project_page": "https://hf.example/page",
        "code_links": ["https://github.com/hf/code"],
    }  # never the title arXiv gave, nor the version


def test_links_are_found_again_when_the_text_changes() -> None:
    paper = stored(comments="Project page: https://first.example/")
    assert paper.project_page == "https://first.example/"
    found = changes(
        record(
            comments="Code at https://github.com/org/new. Project page: https://second.example/"
        ),
        paper,
    )
    # The code link follows the text; a project page the paper has is kept.
    assert found == {
        "comments": "Code at https://github.com/org/new. Project page: https://second.example/",
        "code_links": ["https://github.com/org/new"],
    }


def test_in_a_batch_bad_records_are_rejected_one_by_one_and_the_newest_wins() -> None:
    result = UpsertResult()
    latest = latest_records(
        [
            PaperRecord(arxiv_id="2501.00002", version=2, title="v2"),
            PaperRecord(arxiv_id="not-an-id", title="x"),
            PaperRecord(arxiv_id="2501.00002", version=1, title="v1"),
            PaperRecord(arxiv_id="2501.00003", title="   "),
            PaperRecord(arxiv_id="2501.00002v3", title="v3"),
        ],
        result,
    )
    assert {arxiv_id: (i, r.title) for arxiv_id, (i, r) in latest.items()} == {
        "2501.00002": (4, "v3")
    }
    assert [index for index, _ in result.rejected] == [1, 3]
    assert result.unchanged == 2  # the two superseded records of 2501.00002
