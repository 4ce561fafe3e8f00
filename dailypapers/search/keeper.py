"""Keeps the search index in step with the catalogue: plain functions, run by the index job
(``tasks.update_index``) and the ``index`` command.

The catalogue marks papers whose text changed ``needs_index`` (the one change queue). A run
works in two passes:

1. every marked paper is added **keyword-first** (no embedding), so a bulk import is
   searchable by words at once, and its mark is cleared;
2. papers still without a vector are embedded in batches until the run's time is up (the job
   then enqueues itself again), so embedding catches up in the background while hybrid search
   uses whatever is embedded so far.

Votes are not the index's: the search service orders by them from the database.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from dailypapers.catalog.models import Paper
from papersearch import Document, SearchIndex

from .holder import HOLDER, SearchUnavailable

Report = Callable[[str, int, int], None]
KEYWORD_BATCH = 5000
DOCUMENT_FIELDS = (
    "id",
    "arxiv_id",
    "title",
    "abstract",
    "author_names",
    "categories",
    "submitted",
    "code_links",
    "repo_url",
    "changed_at",
)


def paper_document(paper: Paper) -> Document:
    return Document(
        id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(paper.author_names or ()),
        categories=tuple(paper.categories or ()),
        date=paper.submitted.date() if paper.submitted else None,
        has_code=paper.has_code,
    )


@dataclass
class KeeperRun:
    """What one run of the keeper did."""

    keyword_indexed: int = 0
    embedded: int = 0
    remaining: int = 0  # papers still without a vector when the run stopped


def _clear_flags(seen: Sequence[tuple[int, datetime]]) -> None:
    """Clear ``needs_index`` on papers not changed again since they were read."""
    for lo in range(0, len(seen), 200):
        part = seen[lo : lo + 200]
        same = reduce(or_, (Q(pk=pk, changed_at=changed) for pk, changed in part))
        Paper.objects.filter(same, needs_index=True).update(needs_index=False)


def _pending_batches(size: int) -> Iterator[list[Paper]]:
    last = 0
    while True:
        batch = list(
            Paper.objects.needing_index()
            .filter(pk__gt=last)
            .order_by("pk")
            .only(*DOCUMENT_FIELDS)[:size]
        )
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def index_pending(
    index: SearchIndex | None = None,
    *,
    embed_seconds: float | None = None,
    report: Report | None = None,
) -> KeeperRun:
    """Take changed papers into the index keyword-first, then embed for ``embed_seconds``
    (``None``: until every paper has a vector). An index in an older format is first
    rebuilt keyword-first (its vectors are reused)."""
    if index is None:
        try:
            index = HOLDER.index()
        except SearchUnavailable:
            index = rebuild(embed=False, progress=_rebuild_report(report))
    done = KeeperRun()
    done.keyword_indexed = take_pending(index, report)
    embedded, done.remaining, more = embed_pending(index, seconds=embed_seconds, report=report)
    done.embedded = embedded
    done.keyword_indexed += more
    return done


def take_pending(index: SearchIndex, report: Report | None = None) -> int:
    """Add every paper marked ``needs_index`` keyword-first; returns how many."""
    taken = 0
    pending = Paper.objects.needing_index().count()
    for batch in _pending_batches(KEYWORD_BATCH):
        index.add([paper_document(p) for p in batch], embed=False)
        _clear_flags([(p.pk, p.changed_at) for p in batch])
        taken += len(batch)
        if report:
            report("keywords", taken, pending)
    return taken


def embed_pending(
    index: SearchIndex,
    *,
    seconds: float | None = None,
    report: Report | None = None,
) -> tuple[int, int, int]:
    """Compute vectors for papers indexed keyword-first, for about ``seconds`` (``None``:
    all of them; 0 or less: none). Papers that arrive meanwhile are taken keyword-first
    between batches, so a long catch-up never keeps them from keyword search.
    Returns (embedded, remaining, taken keyword-first)."""
    started = time.monotonic()
    embedded = taken = 0
    todo = index.stats().unembedded
    while True:
        ids = index.unembedded_ids(settings.SEARCH_EMBED_BATCH)
        if not ids:
            return embedded, 0, taken
        if seconds is not None and (seconds <= 0 or time.monotonic() - started > seconds):
            return embedded, index.stats().unembedded, taken
        if embedded and Paper.objects.needing_index().exists():
            taken += take_pending(index)
        papers = {
            p.arxiv_id: p for p in Paper.objects.filter(arxiv_id__in=ids).only(*DOCUMENT_FIELDS)
        }
        gone = [i for i in ids if i not in papers]
        if gone:  # no longer in the catalogue
            index.delete(gone)
        index.add([paper_document(papers[i]) for i in ids if i in papers])
        embedded += len(ids) - len(gone)
        if report:
            report("vectors", embedded, todo)


def _rebuild_report(report: Report | None) -> Report | None:
    if report is None:
        return None

    def progress(phase: str, done: int, total: int) -> None:
        report("rebuild" if phase == "documents" else phase, done, total)

    return progress


def rebuild(*, embed: bool = True, progress: Report | None = None) -> SearchIndex:
    """Build the whole index again from the catalogue and switch to it in one step.

    Vectors the old index holds for the same texts are reused (also from an index in an
    older format); with ``embed=False`` the others are left to the index job. Papers that
    change while the catalogue is read keep their ``needs_index`` flag for the next job.
    """
    since = timezone.now()
    total = Paper.objects.count()

    def documents() -> Iterator[Document]:
        papers = Paper.objects.order_by("pk").only(*DOCUMENT_FIELDS)
        for paper in papers.iterator(chunk_size=2000):
            yield paper_document(paper)

    index = SearchIndex.rebuild(
        settings.SEARCH_INDEX_DIR,
        documents(),
        HOLDER.embedder(),
        progress=progress,
        total=total,
        embed=embed,
    )
    Paper.objects.filter(needs_index=True, changed_at__lte=since).update(needs_index=False)
    HOLDER.adopt(index)
    return index
