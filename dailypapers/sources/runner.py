"""Run an ingest: upsert a source's records in batches, each batch committed together with the
run's checkpoint, so an interrupted run loses nothing and a re-run goes on where it stopped."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from dailypapers.catalog.records import InvalidRecord, PaperRecord
from dailypapers.catalog.upsert import AuthorCache, UpsertResult, upsert_papers

from .items import Item
from .models import IngestRun

log = logging.getLogger(__name__)


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size or item.end_of_batch:
            yield batch
            batch = []
    if batch:
        yield batch


def _validate(records: list[PaperRecord]) -> UpsertResult:
    """What a dry run reports: which records the catalogue would take (nothing is written)."""
    result = UpsertResult()
    for index, record in enumerate(records):
        try:
            record.normalized()
            result.unchanged += 1
        except InvalidRecord as exc:
            result.rejected.append((index, str(exc)))
    return result


def resumable_run(
    source: str, key: str, params: dict[str, Any], *, restart: bool, dry_run: bool = False
) -> IngestRun:
    """The unfinished run of the same work to go on with, or a new run; for a dry run, a
    run that is never saved, starting from the beginning."""
    if dry_run:
        return IngestRun(source=source, key=key, params=params)
    previous = (
        IngestRun.objects.filter(source=source, key=key)
        .exclude(status=IngestRun.Status.SUCCEEDED)
        .order_by("-started_at", "-id")
        .first()
    )
    if previous is not None and not restart:
        previous.status = IngestRun.Status.RUNNING
        previous.finished_at = None
        previous.save(update_fields=["status", "finished_at"])
        return previous
    return IngestRun.objects.create(source=source, key=key, params=params)


def ingest(
    run: IngestRun,
    items: Iterable[Item],
    *,
    batch_size: int | None = None,
    dry_run: bool = False,
    on_batch: Callable[[IngestRun], None] | None = None,
    after_upsert: Callable[[list[Item]], object] | None = None,
) -> IngestRun:
    """Upsert the items' records batch by batch; mark the run finished, failed or interrupted.

    KeyboardInterrupt (Ctrl-C, SIGTERM turned into it) is re-raised after the run is marked
    interrupted; the batch in flight is rolled back, every earlier batch is kept.

    ``after_upsert`` is called with the batch's items whose records were accepted, inside the
    batch's transaction (not on a dry run), so what a source records beside the papers
    (announcements, featurings) is committed with them.
    """
    size = batch_size or settings.INGEST_BATCH_SIZE
    authors = AuthorCache()
    try:
        with _bulk_writes(dry_run):
            for batch in _batches(items, size):
                errors = _take_batch(run, batch, authors, dry_run, after_upsert)
                for error in errors[:20]:
                    log.warning("%s: rejected %s", run.source, error)
                if on_batch is not None:
                    on_batch(run)
    except KeyboardInterrupt:
        if not dry_run:
            run.finish(IngestRun.Status.INTERRUPTED, "interrupted")
        raise
    except Exception as exc:
        if not dry_run:
            run.finish(IngestRun.Status.FAILED, f"{type(exc).__name__}: {exc}")
        raise
    if not dry_run:
        run.finish(IngestRun.Status.SUCCEEDED)
    return run


def _take_batch(
    run: IngestRun,
    batch: list[Item],
    authors: AuthorCache,
    dry_run: bool,
    after_upsert: Callable[[list[Item]], object] | None,
) -> list[dict[str, Any]]:
    """Upsert one batch and move the run's checkpoint past it, in one transaction; returns
    the batch's errors."""
    records = [item for item in batch if item.record is not None]
    errors = [{**(item.where or {}), "error": item.error} for item in batch if item.error]
    with transaction.atomic():
        if dry_run:
            result = _validate([i.record for i in records if i.record])
        else:
            result = upsert_papers(
                [i.record for i in records if i.record], source=run.source, authors=authors
            )
            if after_upsert is not None:
                rejected = {index for index, _ in result.rejected}
                after_upsert(
                    [
                        item
                        for index, item in enumerate(records)
                        if item.record is not None and index not in rejected
                    ]
                )
        errors += [{**(records[i].where or {}), "error": why} for i, why in result.rejected]
        run.seen += len(batch)
        run.added += result.added
        run.updated += result.updated
        run.unchanged += result.unchanged
        run.older += result.older
        run.add_errors(errors)
        run.checkpoint = batch[-1].position
        if not dry_run:
            run.save()
    return errors


@contextmanager
def _bulk_writes(dry_run: bool) -> Iterator[None]:
    """SQLite checks every foreign key of every inserted row against its parent table: two
    b-tree lookups per author link, millions in a bulk import. The upsert links only ids it
    read or wrote in the same write transaction (SQLite lets no other writer in meanwhile,
    and authors and categories are never deleted while papers use them), so an import turns
    the checks off for its connection, and checks every foreign key once at its end
    (``PRAGMA foreign_key_check``): a run that broke one fails, naming the row, and so does
    every later run until it is mended. Inside an outer transaction (a test's) the checks
    stay on, deferred to its commit."""
    if dry_run or connection.vendor != "sqlite" or not connection.disable_constraint_checking():
        yield
        return
    try:
        yield
    finally:
        connection.enable_constraint_checking()
    connection.check_constraints()
