"""The way into the catalogue: ingest runs hand batches of records to ``upsert_papers``, one
paper fetched on demand goes in with ``upsert_paper``.

Rules (``catalog.merge`` decides them for both ways):

* idempotent: the same record twice changes nothing the second time;
* a newer version updates the paper in place, never duplicates it;
* an older record (lower version, or the same version last updated earlier) never overwrites
  a newer one;
* fields a record leaves as ``None`` (its source does not know them) are left as they are;
* arXiv is the authority for bibliographic fields: a record of another source
  (``authoritative=False``, Hugging Face's list) fills only the fields a paper lacks, beside
  the ones it alone knows (``OWN_FIELDS``), and never changes the version, so alternating
  sources never flip a paper back and forth;
* a record that cannot be used is rejected on its own, with the reason, and the rest of its
  batch goes in;
* papers added or changed are marked ``needs_index`` and announced with ``papers_changed``
  once the transaction commits, so the search index can follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from .bulk import AuthorCache, upsert_papers
from .ids import normalize_arxiv_id
from .merge import UpsertResult, changes, is_older
from .models import Author, Category, Paper, PaperAuthor, PaperCategory
from .records import PaperRecord
from .signals import papers_changed

__all__ = ["AuthorCache", "UpsertResult", "papers_with_extra", "upsert_paper", "upsert_papers"]


def upsert_paper(record: PaperRecord, *, source: str) -> UpsertResult:
    """Add or update one paper through the ORM; raises InvalidRecord if the record cannot be
    used."""
    record = record.normalized()
    result = UpsertResult()
    with transaction.atomic():
        paper = Paper.objects.select_for_update().filter(arxiv_id=record.arxiv_id).first()
        if paper is not None and is_older(record, paper):
            result.older = 1
            return result
        changed = changes(record, paper)
        if paper is None:
            paper = Paper(**changed, last_source=source)
            paper.save()
            result.added = 1
        elif not changed:
            result.unchanged = 1
            return result
        else:
            for name, value in changed.items():
                setattr(paper, name, value)
            paper.last_source = source
            paper.needs_index = True
            paper.save(update_fields=[*changed, "last_source", "needs_index", "changed_at"])
            result.updated = 1
        if result.added or "author_names" in changed:
            _link_authors(paper, replace=not result.added)
        if result.added or "categories" in changed:
            _link_categories(paper, replace=not result.added)
        result.changed_ids = [paper.arxiv_id]
        transaction.on_commit(
            lambda: papers_changed.send(sender=Paper, arxiv_ids=[paper.arxiv_id], source=source)
        )
    return result


def _link_authors(paper: Paper, *, replace: bool) -> None:
    if replace:
        paper.author_links.all().delete()
    names = set(paper.author_names)
    ids = dict(Author.objects.filter(name__in=names).values_list("name", "id"))
    if names - ids.keys():
        Author.objects.bulk_create(
            [Author(name=name) for name in sorted(names - ids.keys())], ignore_conflicts=True
        )
        ids = dict(Author.objects.filter(name__in=names).values_list("name", "id"))
    PaperAuthor.objects.bulk_create(
        PaperAuthor(paper=paper, author_id=ids[name], position=position)
        for position, name in enumerate(paper.author_names)
    )


def _link_categories(paper: Paper, *, replace: bool) -> None:
    if replace:
        paper.category_links.all().delete()
    Category.objects.bulk_create(
        [Category(code=code) for code in paper.categories], ignore_conflicts=True
    )
    PaperCategory.objects.bulk_create(
        PaperCategory(paper=paper, category_id=code) for code in paper.categories
    )


def papers_with_extra(records: Sequence[PaperRecord], key: str) -> list[tuple[int, dict[str, Any]]]:
    """(paper id, ``record.extra[key]``) for each record that carries such a dict and whose
    paper the catalogue holds, for what a source keeps beside its papers (run after the
    batch's upsert, in its transaction); of two records of one paper the last wins."""
    wanted = {
        normalize_arxiv_id(r.arxiv_id): info
        for r in records
        if isinstance(info := r.extra.get(key), dict)
    }
    if not wanted:
        return []
    papers = dict(Paper.objects.filter(arxiv_id__in=list(wanted)).values_list("arxiv_id", "id"))
    return [(papers[arxiv_id], info) for arxiv_id, info in wanted.items() if arxiv_id in papers]
