"""Keeps the search index in step with the catalogue.

Each process opens the index once (``get_index``) and picks up what another process wrote
with a cheap ``refresh``. The index job (``update_index``) works in two passes:

1. every paper marked ``needs_index`` is added **keyword-first** (no embedding), so a bulk
   import is searchable by words at once, and its flag is cleared; the vote counts of papers
   whose featured entry is marked ``votes_changed`` are handed to ``SearchIndex.set_votes``
   (for the "votes" sort), and their flags cleared;
2. papers still without a vector are embedded in batches until the job's time is up; the job
   then enqueues itself again, so embedding catches up in the background while hybrid search
   uses whatever is embedded so far.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.community.votes import with_upvotes
from papersearch import Document, Embedder, SearchIndex
from papersearch.backfill import PrecomputedEmbedder, VectorFile
from papersearch.storage import IndexFormatError

log = logging.getLogger(__name__)

QUEUED_KEY = "search:update-index-queued"
REFRESH_SECONDS = 2.0
KEYWORD_BATCH = 5000
VOTES_BATCH = 5000
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


class _Held:
    """What this process keeps between requests: the open index and the model."""

    lock = threading.Lock()
    index: SearchIndex | None = None
    checked = 0.0
    embedder: Embedder | None = None


def embedder() -> Embedder:
    """The process's embedding model (loaded on first use, then kept)."""
    if _Held.embedder is None:
        _Held.embedder = import_string(settings.SEARCH_EMBEDDER)()
    return _Held.embedder


class SearchUnavailable(Exception):
    """The index cannot be used now (written by an older version: the index job rebuilds it)."""


def get_index() -> SearchIndex:
    """This process's index, refreshed when another process has written a newer state."""
    with _Held.lock:
        now = time.monotonic()
        index = _Held.index
        if index is None or str(index.path) != str(settings.SEARCH_INDEX_DIR):
            try:
                index = SearchIndex.open(settings.SEARCH_INDEX_DIR, embedder())
            except IndexFormatError as exc:
                log.warning("search: %s; the index job rebuilds it now", exc)
                schedule_update()
                raise SearchUnavailable(str(exc)) from exc
            _Held.index = index
            _Held.checked = now
        elif now - _Held.checked > REFRESH_SECONDS:
            index.refresh()
            _Held.checked = now
        return index


def warm_up() -> None:
    """Open the index (asking the kernel to read its files into the page cache) and load the
    model now, so the first searches do not wait for them."""
    started = time.monotonic()
    try:
        get_index().prefetch()
        embedder().embed_query("warm up")
    except Exception:  # a broken index or model shows on the first search, with its error
        log.exception("search: warming up failed")
        return
    log.info("search: index and model ready in %.1f s", time.monotonic() - started)


@contextmanager
def vectors_from(file: VectorFile) -> Iterator[PrecomputedEmbedder]:
    """Within the block, texts whose vectors ``file`` (a backfill made on a GPU machine, say)
    holds take them from there instead of from the model; the others are embedded as usual."""
    base = embedder()
    source = PrecomputedEmbedder(base, file)
    with _Held.lock:
        _Held.embedder = source
        if _Held.index is not None:
            _Held.index.embedder = source
    try:
        yield source
    finally:
        with _Held.lock:
            _Held.embedder = base
            if _Held.index is not None:
                _Held.index.embedder = base


def forget_index() -> None:
    """Drop this process's index and model (tests, or after the settings change)."""
    with _Held.lock:
        _Held.index = None
        _Held.embedder = None


def paper_document(paper: Paper) -> Document:
    return Document(
        id=paper.arxiv_id,
        title=paper.title,
        abstract=paper.abstract,
        authors=tuple(paper.author_names or ()),
        categories=tuple(paper.categories or ()),
        date=paper.submitted.date() if paper.submitted else None,
        has_code=paper.has_code,
        votes=_votes_of(paper),
    )


def _votes_of(paper: Paper) -> float | None:
    """The paper's votes when it was loaded with them (``with_upvotes``); else ``None``, which
    keeps the votes the index has."""
    votes = getattr(paper, "upvotes", None)
    return None if votes is None else float(votes)


@dataclass
class KeeperRun:
    """What one run of the keeper did."""

    keyword_indexed: int = 0
    votes: int = 0  # papers whose vote count the index was given
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
            with_upvotes(Paper.objects.needing_index())
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
    report: Callable[[str, int, int], None] | None = None,
) -> KeeperRun:
    """Take changed papers into the index keyword-first, then embed for ``embed_seconds``
    (``None``: until every paper has a vector). An index in an older format is first
    rebuilt keyword-first (its vectors are reused)."""
    if index is None:
        try:
            index = get_index()
        except SearchUnavailable:
            index = rebuild(embed=False, progress=_rebuild_report(report))
    done = KeeperRun()
    done.keyword_indexed = take_pending(index, report)
    done.votes = take_votes(index)
    embedded, done.remaining, more = embed_pending(index, seconds=embed_seconds, report=report)
    done.embedded = embedded
    done.keyword_indexed += more
    return done


def take_pending(index: SearchIndex, report: Callable[[str, int, int], None] | None = None) -> int:
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


def take_votes(index: SearchIndex) -> int:
    """Give the index the votes of every paper whose entry is marked ``votes_changed``, and
    clear the marks of entries whose votes did not change again meanwhile; returns how many.
    A paper the index does not hold yet gets its votes when it is added (``with_upvotes``)."""
    taken = last = 0
    while True:
        batch = list(
            DailyEntry.objects.filter(votes_changed=True, pk__gt=last)
            .order_by("pk")
            .select_related("paper")
            .only("id", "upvotes", "hidden", "paper__arxiv_id")[:VOTES_BATCH]
        )
        if not batch:
            return taken
        index.set_votes({e.paper.arxiv_id: float(e.listed_votes) for e in batch})
        _clear_vote_marks([(e.pk, e.upvotes, e.hidden) for e in batch])
        taken += len(batch)
        last = batch[-1].pk


def _clear_vote_marks(seen: Sequence[tuple[int, int, bool]]) -> None:
    """Clear ``votes_changed`` on entries whose votes are still as they were read."""
    for lo in range(0, len(seen), 200):
        same = reduce(
            or_, (Q(pk=pk, upvotes=up, hidden=hidden) for pk, up, hidden in seen[lo : lo + 200])
        )
        DailyEntry.objects.filter(same, votes_changed=True).update(votes_changed=False)


def votes_pending() -> bool:
    return DailyEntry.objects.filter(votes_changed=True).exists()


def embed_pending(
    index: SearchIndex,
    *,
    seconds: float | None = None,
    report: Callable[[str, int, int], None] | None = None,
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
        if embedded and votes_pending():
            take_votes(index)
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


def _rebuild_report(
    report: Callable[[str, int, int], None] | None,
) -> Callable[[str, int, int], None] | None:
    if report is None:
        return None

    def progress(phase: str, done: int, total: int) -> None:
        report("rebuild" if phase == "documents" else phase, done, total)

    return progress


def rebuild(
    *, embed: bool = True, progress: Callable[[str, int, int], None] | None = None
) -> SearchIndex:
    """Build the whole index again from the catalogue and switch to it in one step.

    Vectors the old index holds for the same texts are reused (also from an index in an
    older format); with ``embed=False`` the others are left to the index job. Papers that
    change while the catalogue is read keep their ``needs_index`` flag for the next job.
    """
    since = timezone.now()
    total = Paper.objects.count()

    def documents() -> Iterator[Document]:
        papers = with_upvotes(Paper.objects.order_by("pk").only(*DOCUMENT_FIELDS))
        for paper in papers.iterator(chunk_size=2000):
            yield paper_document(paper)

    index = SearchIndex.rebuild(
        settings.SEARCH_INDEX_DIR,
        documents(),
        embedder(),
        progress=progress,
        total=total,
        embed=embed,
    )
    Paper.objects.filter(needs_index=True, changed_at__lte=since).update(needs_index=False)
    with _Held.lock:
        _Held.index = index
        _Held.checked = time.monotonic()
    if index.stats().unembedded:
        schedule_update()
    return index


def on_papers_changed(sender: Any, arxiv_ids: Sequence[str] = (), **kwargs: Any) -> None:
    """Papers were added or changed: make sure one index job is queued."""
    schedule_update()


def on_votes_changed(sender: Any, paper_ids: Sequence[int] = (), **kwargs: Any) -> None:
    """Votes changed (the community app): make sure one index job is queued."""
    schedule_update()


def schedule_update() -> bool:
    """Enqueue the index job unless one is already waiting; True when this call did."""
    if not cache.add(QUEUED_KEY, True, timeout=max(settings.SEARCH_JOB_SECONDS * 2, 60)):
        return False
    from .tasks import update_index

    try:
        update_index.enqueue()
    except Exception:
        cache.delete(QUEUED_KEY)
        log.exception("search: could not enqueue the index job")
        return False
    return True
