"""The merge rules: what a record changes on a paper, with no database involved.

``changes`` answers for one (normalised) record and the paper the catalogue holds (or None);
both ways into the catalogue, the bulk one of ingest runs (``catalog.bulk``) and the one-paper
one (``catalog.upsert.upsert_paper``), write what it returns. The rules are listed in
``catalog.upsert``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .links import find_links
from .models import Paper
from .records import InvalidRecord, PaperRecord

SCALAR_FIELDS = (
    "title",
    "abstract",
    "primary_category",
    "submitted",
    "updated",
    "comments",
    "journal_ref",
    "doi",
    "report_no",
    "license",
    "project_page",
)
OWN_FIELDS = frozenset({"repo_url", "project_page", "github_stars"})
"""What a source other than arXiv may change on a paper arXiv described."""
_EMPTY: tuple[object, ...] = ("", [], None)
"""What counts as a field a paper lacks."""
_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    older: int = 0
    """Records older than what the catalogue holds, ignored."""
    rejected: list[tuple[int, str]] = field(default_factory=list)
    """(index of the record in the input, reason) for records that could not be used."""
    changed_ids: list[str] = field(default_factory=list)

    def merge(self, other: UpsertResult, offset: int = 0) -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.older += other.older
        self.rejected += [(i + offset, why) for i, why in other.rejected]
        self.changed_ids += other.changed_ids

    @property
    def seen(self) -> int:
        return self.added + self.updated + self.unchanged + self.older + len(self.rejected)


def recency(record: PaperRecord) -> tuple[int, datetime]:
    """What orders two records of one paper: the version, then when it was last updated."""
    return (record.version or 0, record.updated or _OLDEST)


def is_older(record: PaperRecord, paper: Paper) -> bool:
    """Whether the record describes the paper as it was before what the catalogue holds."""
    if record.version is not None and record.version != paper.version:
        return record.version < paper.version
    return bool(record.updated and paper.updated and record.updated < paper.updated)


def latest_records(
    records: Iterable[PaperRecord], result: UpsertResult
) -> dict[str, tuple[int, PaperRecord]]:
    """The newest normalised record of each paper in a batch, with its index in the input.

    Records that cannot be used are added to ``result.rejected``, one by one; records another
    of the same paper supersedes count as unchanged."""
    latest: dict[str, tuple[int, PaperRecord]] = {}
    for index, raw in enumerate(records):
        try:
            record = raw.normalized()
        except InvalidRecord as exc:
            result.rejected.append((index, str(exc)))
            continue
        seen = latest.get(record.arxiv_id)
        if seen is not None:
            result.unchanged += 1
            if recency(record) < recency(seen[1]):
                continue
        latest[record.arxiv_id] = (index, record)
    return latest


def changes(record: PaperRecord, paper: Paper | None) -> dict[str, Any]:
    """The fields the record changes on the paper, with their new values (empty: none).

    ``record`` is normalised; ``paper`` is None for a paper the catalogue lacks, and then the
    answer is every field the new paper gets (the rest keep the model's defaults). Raises
    InvalidRecord for a new paper without a title. Does not check ``is_older``: the caller
    does, since an older record counts apart from an unchanged one.
    """
    if paper is None:
        return _new_paper(record)
    fills_only = not record.authoritative
    found: dict[str, Any] = {}

    def put(name: str, value: Any) -> None:
        if value is None:
            return
        current = found.get(name, getattr(paper, name))
        if current == value:
            return
        if fills_only and name not in OWN_FIELDS and current not in _EMPTY:
            return
        found[name] = value

    for name in SCALAR_FIELDS:
        put(name, getattr(record, name))
    if record.version is not None and record.version > paper.version and not fills_only:
        put("version", record.version)
    put("author_names", record.authors)
    put("categories", record.categories)
    put("repo_url", record.repo_url)
    put("github_stars", record.github_stars)
    if "abstract" in found or "comments" in found:
        code, project = find_links(
            found.get("abstract", paper.abstract), found.get("comments", paper.comments)
        )
        put("code_links", code)
        if project and not found.get("project_page", paper.project_page):
            put("project_page", project)
    return found


def _new_paper(record: PaperRecord) -> dict[str, Any]:
    if record.title is None:
        raise InvalidRecord(
            f"{record.arxiv_id}: a new paper needs a title, and this record has none"
        )
    fields: dict[str, Any] = {"arxiv_id": record.arxiv_id, "version": record.version or 1}
    for name in SCALAR_FIELDS:
        value = getattr(record, name)
        if value is not None:
            fields[name] = value
    fields["author_names"] = record.authors if record.authors is not None else []
    fields["categories"] = record.categories if record.categories is not None else []
    if record.repo_url is not None:
        fields["repo_url"] = record.repo_url
    if record.github_stars is not None:
        fields["github_stars"] = record.github_stars
    if record.found_links is not None:
        code, project = record.found_links
    else:
        code, project = find_links(fields.get("abstract", ""), fields.get("comments", ""))
    fields["code_links"] = code
    if project and not fields.get("project_page"):
        fields["project_page"] = project
    return fields
