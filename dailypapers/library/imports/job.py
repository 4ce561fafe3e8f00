"""The import job: read the file into the report, match entries to the catalogue, fetch what
arXiv has and the catalogue lacks, and add the papers to the collection.

Every step works in batches, each committed with the report rows it settled, so a job that
stops half-way (a crash, a restart) runs again from where it was and adds nothing twice; the
collection's unique (collection, paper) constraint holds that in the schema too.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from dailypapers.catalog.models import Paper
from dailypapers.catalog.upsert import upsert_papers
from dailypapers.library.models import CollectionItem, ImportEntry, LibraryImport
from dailypapers.sources.api import IDS_PER_REQUEST, fetch_ids
from dailypapers.sources.http import PoliteClient, SourceError

from . import formats
from .matching import title_key, usable_title_key

log = logging.getLogger(__name__)

BATCH = 500
"""Entries settled (and committed) at a time: memory stays flat whatever the file's size."""
SCAN_CHUNK = 5_000

Outcome = ImportEntry.Outcome
By = ImportEntry.MatchedBy


Row = tuple[str | int | bool, ...]
"""A report row's new values, then its pk."""


@dataclass(frozen=True, slots=True)
class Match:
    entry: int
    paper: int
    by: str
    fetched: bool = False


def run(job_id: int, client: Callable[[], PoliteClient] = PoliteClient) -> LibraryImport:
    """Run (or go on with) an import; a finished one is left as it is."""
    job = LibraryImport.objects.select_related("collection").get(pk=job_id)
    if job.state == LibraryImport.State.DONE:
        return job
    _save(job, state=LibraryImport.State.RUNNING, error="", started_at=timezone.now())
    try:
        if not job.read:
            try:
                read(job)
            except formats.Unreadable as exc:
                _save(
                    job,
                    state=LibraryImport.State.FAILED,
                    error=str(exc),
                    step="",
                    text="",
                    finished_at=timezone.now(),
                )
                return job
        match_ids(job)
        match_catalogue(job)
        fetch_missing(job, client)
    except BaseException as exc:
        log.exception("import %s stopped", job.pk)
        _save(
            job,
            state=LibraryImport.State.FAILED,
            error=f"The import stopped ({type(exc).__name__}); what it did is kept, and "
            "running it again goes on from there.",
            finished_at=timezone.now(),
        )
        raise
    _save(job, state=LibraryImport.State.DONE, step="", finished_at=timezone.now())
    return job


def _save(job: LibraryImport, **fields: object) -> None:
    fields["touched_at"] = timezone.now()
    for name, value in fields.items():
        setattr(job, name, value)
    LibraryImport.objects.filter(pk=job.pk).update(**fields)


def _progress(job: LibraryImport, step: str) -> None:
    done = job.entries.exclude(outcome__in=(Outcome.PENDING, Outcome.FETCH)).count()
    _save(job, step=step, entries_done=done)


# --- reading ----------------------------------------------------------------------------------


def read(job: LibraryImport) -> None:
    """The file's entries into the report, in one transaction (a re-run reads it afresh)."""
    _save(job, step="Reading the file")
    with transaction.atomic():
        job.entries.all().delete()
        batch: list[ImportEntry] = []
        count = unreadable = 0
        for count, entry in enumerate(formats.read(job.format, job.text), start=1):
            key = title_key(entry.title) if entry.title else ""
            unreadable += bool(entry.error)
            batch.append(
                ImportEntry(
                    job=job,
                    position=count,
                    line=entry.line,
                    key=entry.key,
                    title=entry.title,
                    arxiv_id=entry.arxiv_id or "",
                    doi=entry.doi or "",
                    title_key=key,
                    outcome=Outcome.UNREADABLE if entry.error else Outcome.PENDING,
                    reason=entry.error[:500],
                )
            )
            if len(batch) >= BATCH:
                ImportEntry.objects.bulk_create(batch)
                batch = []
        ImportEntry.objects.bulk_create(batch)
        _save(job, read=True, text="", entries_total=count, entries_done=unreadable)


# --- adding to the collection -------------------------------------------------------------


def add(job: LibraryImport, matches: Sequence[Match]) -> None:
    """Put matched papers in the collection (those already there are said so), and record
    each entry's outcome; the caller holds the transaction."""
    if not matches:
        return
    collection = job.collection
    present = set(
        CollectionItem.objects.filter(
            collection=collection, paper_id__in={m.paper for m in matches}
        ).values_list("paper_id", flat=True)
    )
    top = collection.items.aggregate(top=Max("position"))["top"]
    position = (top if top is not None else -1) + 1
    items: list[CollectionItem] = []
    rows: list[Row] = []
    for match in matches:
        outcome = Outcome.ALREADY if match.paper in present else Outcome.ADDED
        if outcome == Outcome.ADDED:
            present.add(match.paper)
            items.append(
                CollectionItem(
                    collection=collection,
                    paper_id=match.paper,
                    position=position,
                    source=CollectionItem.Source.IMPORTED,
                )
            )
            position += 1
        rows.append((outcome, match.by, match.paper, match.fetched, "", match.entry))
    CollectionItem.objects.bulk_create(items, ignore_conflicts=True)
    _write(["outcome", "matched_by", "paper_id", "fetched", "reason"], rows)
    if items:
        type(collection).objects.filter(pk=collection.pk).update(updated_at=timezone.now())


def _not_found(entries: Iterable[tuple[int, str]]) -> None:
    _write(["outcome", "reason"], [(Outcome.NOT_FOUND, why[:500], pk) for pk, why in entries])


def _write(columns: Sequence[str], rows: Sequence[Row]) -> None:
    """Settle report rows, each ``(*values, pk)``, in one ``executemany``: the ORM's
    ``bulk_update`` (a CASE per column) took three quarters of a 5,000-entry import."""
    if not rows:
        return
    table = connection.ops.quote_name(ImportEntry._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)  # noqa: S608


# --- by arXiv id --------------------------------------------------------------------------


def match_ids(job: LibraryImport) -> None:
    """Entries naming an arXiv id: the catalogue's paper, or fetch it (when fetching is on)."""
    pending = job.entries.filter(outcome=Outcome.PENDING).exclude(arxiv_id="")
    last = 0
    while True:
        rows = list(
            pending.filter(position__gt=last)
            .order_by("position")
            .values_list("pk", "position", "arxiv_id")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][1]
        known = dict(
            Paper.objects.filter(arxiv_id__in={r[2] for r in rows}).values_list("arxiv_id", "pk")
        )
        matches = [Match(pk, known[aid], By.ARXIV) for pk, _, aid in rows if aid in known]
        missing = [(pk, aid) for pk, _, aid in rows if aid not in known]
        with transaction.atomic():
            add(job, matches)
            if settings.FETCH_MISSING_PAPERS:
                ImportEntry.objects.filter(pk__in=[pk for pk, _ in missing]).update(
                    outcome=Outcome.FETCH
                )
            else:
                _not_found(
                    (pk, f"{aid} is not in this site's catalogue, and fetching from arXiv is off")
                    for pk, aid in missing
                )
        _progress(job, "Matching arXiv ids")


# --- by DOI and title ---------------------------------------------------------------------


def match_catalogue(job: LibraryImport) -> None:
    """Entries without an arXiv id, by DOI, then by title: one pass over the catalogue for
    the whole file, looking each paper's DOI and folded title up in what the file asks for
    (never a query per entry)."""
    pending = job.entries.filter(outcome=Outcome.PENDING, arxiv_id="")
    dois: dict[str, list[int]] = defaultdict(list)
    keys: dict[str, list[int]] = defaultdict(list)
    for pk, doi, key in pending.values_list("pk", "doi", "title_key").iterator(chunk_size=BATCH):
        if doi:
            dois[doi].append(pk)
        if usable_title_key(key):
            keys[key].append(pk)
    if dois or keys:
        _progress(job, f"Looking for {len(dois) + len(keys):,} DOIs and titles in the catalogue")
    by_doi, by_title = scan_catalogue(set(dois), set(keys))

    last = 0
    while True:
        rows = list(
            pending.filter(position__gt=last)
            .order_by("position")
            .values_list("pk", "position", "doi", "title_key")[:BATCH]
        )
        if not rows:
            break
        last = rows[-1][1]
        matches: list[Match] = []
        missing: list[tuple[int, str]] = []
        for pk, _, doi, key in rows:
            doi_papers = by_doi.get(doi, ()) if doi else ()
            title_papers = by_title.get(key, ()) if usable_title_key(key) else ()
            if len(doi_papers) == 1:
                matches.append(Match(pk, next(iter(doi_papers)), By.DOI))
            elif len(title_papers) == 1:
                matches.append(Match(pk, next(iter(title_papers)), By.TITLE))
            else:
                missing.append((pk, _why_not(doi, key, len(title_papers))))
        with transaction.atomic():
            add(job, matches)
            _not_found(missing)
        _progress(job, "Matching DOIs and titles")


def scan_catalogue(
    dois: set[str], keys: set[str]
) -> tuple[dict[str, set[int]], dict[str, set[int]]]:
    """The catalogue's papers with these DOIs (lower-cased) and folded titles."""
    by_doi: dict[str, set[int]] = defaultdict(set)
    by_title: dict[str, set[int]] = defaultdict(set)
    if not dois and not keys:
        return by_doi, by_title
    columns = Paper.objects.order_by().values_list("pk", "title", "doi")
    for pk, title, doi in columns.iterator(chunk_size=SCAN_CHUNK):
        if doi and dois and (folded := doi.strip().lower()) in dois:
            by_doi[folded].add(pk)
        if keys and (key := title_key(title)) in keys:
            by_title[key].add(pk)
    return by_doi, by_title


def _why_not(doi: str, key: str, same_title: int) -> str:
    if same_title > 1:
        return f"{same_title} papers in the catalogue have this title: add it by its arXiv id"
    if doi and usable_title_key(key):
        return "no paper in the catalogue has this DOI or this title"
    if doi:
        return f"no paper in the catalogue has the DOI {doi}"
    if usable_title_key(key):
        return "no paper in the catalogue has this title (and the entry has no arXiv id or DOI)"
    if key:
        return "no arXiv id or DOI, and the title is too short to match on"
    return "the entry has no arXiv id, DOI or title"


# --- fetching what the catalogue lacks ----------------------------------------------------


def fetch_missing(job: LibraryImport, client: Callable[[], PoliteClient]) -> None:
    """Ask arXiv for the papers matched by id that the catalogue lacks, 100 ids a request
    (through the polite client: one request at a time, spaced as arXiv asks)."""
    waiting = job.entries.filter(outcome=Outcome.FETCH)
    ids = sorted(set(waiting.values_list("arxiv_id", flat=True)))
    if not ids:
        return
    if not job.to_fetch:
        _save(job, to_fetch=len(ids), fetched=0)
    try:
        with client() as http:
            for start in range(0, len(ids), IDS_PER_REQUEST):
                chunk = ids[start : start + IDS_PER_REQUEST]
                _save(job, step=f"Fetching {job.to_fetch:,} papers from arXiv")
                errors: dict[str, str] = {}
                records = []
                for item in fetch_ids(http, chunk):
                    if item.record is not None:
                        records.append(item.record)
                    elif item.where and item.error:
                        errors[str(item.where.get("id", ""))] = item.error
                with transaction.atomic():
                    result = upsert_papers(records, source="arxiv-api")
                    for index, why in result.rejected:
                        errors[records[index].arxiv_id] = f"arXiv's record cannot be used: {why}"
                    settle(job, chunk, errors)
                    LibraryImport.objects.filter(pk=job.pk).update(
                        fetched=F("fetched") + len(chunk)
                    )
                job.fetched += len(chunk)
                _progress(job, f"Fetching {job.to_fetch:,} papers from arXiv")
    except SourceError as exc:
        log.warning("import %s: arXiv could not be reached: %s", job.pk, exc)
        with transaction.atomic():
            _not_found(
                (
                    pk,
                    f"{aid} is not in the catalogue, and arXiv could not be reached ({exc}); "
                    "import the file again later to fetch it",
                )
                for pk, aid in waiting.values_list("pk", "arxiv_id")
            )
        _progress(job, "")


def settle(job: LibraryImport, chunk: Sequence[str], errors: dict[str, str]) -> None:
    """Entries waiting for these ids: added (fetched), or not found with arXiv's word."""
    known = dict(Paper.objects.filter(arxiv_id__in=chunk).values_list("arxiv_id", "pk"))
    rows = list(
        job.entries.filter(outcome=Outcome.FETCH, arxiv_id__in=chunk)
        .order_by("position")
        .values_list("pk", "arxiv_id")
    )
    add(job, [Match(pk, known[aid], By.ARXIV, fetched=True) for pk, aid in rows if aid in known])
    _not_found(
        (pk, errors.get(aid) or f"arXiv has no paper {aid}") for pk, aid in rows if aid not in known
    )


def summary(job: LibraryImport) -> dict[str, int]:
    """The report's counts: outcomes, and how entries were matched."""
    counts = job.entries.aggregate(
        added=Count("pk", filter=Q(outcome=ImportEntry.Outcome.ADDED)),
        already=Count("pk", filter=Q(outcome=ImportEntry.Outcome.ALREADY)),
        not_found=Count("pk", filter=Q(outcome=ImportEntry.Outcome.NOT_FOUND)),
        unreadable=Count("pk", filter=Q(outcome=ImportEntry.Outcome.UNREADABLE)),
        by_arxiv=Count("pk", filter=Q(matched_by=ImportEntry.MatchedBy.ARXIV)),
        by_doi=Count("pk", filter=Q(matched_by=ImportEntry.MatchedBy.DOI)),
        by_title=Count("pk", filter=Q(matched_by=ImportEntry.MatchedBy.TITLE)),
        fetched=Count("pk", filter=Q(fetched=True)),
    )
    return {k: int(v or 0) for k, v in counts.items()}
