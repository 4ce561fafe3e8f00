"""The live ingest jobs, as plain functions: the `ingest` command, the background tasks and the
scheduler all call these. Each records an IngestRun; each can be re-run safely."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from dailypapers.catalog.models import Paper

from . import api
from .announcements import read_announcements, save_announcements
from .http import FetchError, PoliteClient, SourceError, first_offline_notice
from .huggingface import PAGE_SIZE, announce_featurings, read_daily_papers
from .models import IngestRun
from .oai import Harvest
from .runner import ingest, resumable_run

log = logging.getLogger(__name__)

API = "arxiv-api"
OAI = "oai"
ANNOUNCEMENTS = "announcements"
HUGGINGFACE = "huggingface"
SOURCES = (API, OAI, ANNOUNCEMENTS, HUGGINGFACE)
COMPLETE_LIMIT = 1000
"""At most this many papers lacking dates are completed from the API per refresh."""


class JobFailed(SourceError):
    """A job did not do what it was for; the message says why. Its details were logged where
    they happened, so the job system records it as failed without a traceback."""

    reported = True


def _say_failed(what: str, exc: SourceError, hint: str = "") -> None:
    """Log a step that failed: a warning, except for a host already known to be unreachable
    (said once, by the first job that found it so)."""
    if isinstance(exc, FetchError) and exc.offline:
        first, message = first_offline_notice(exc.host), f"{what}: no network ({exc}){hint}"
    else:
        first, message = True, f"{what} failed: {exc}{hint}"
    log.log(logging.WARNING if first else logging.INFO, "%s", message)


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


@contextmanager
def _client(client: PoliteClient | None) -> Iterator[PoliteClient]:
    """The caller's client, left open for its next job (a refresh passes one client through
    all its steps), or a client of the job's own, closed at its end."""
    if client is not None:
        yield client
        return
    with PoliteClient() as own:
        yield own


def ingest_ids(
    ids: Sequence[str],
    *,
    dry_run: bool = False,
    restart: bool = False,
    client: PoliteClient | None = None,
) -> IngestRun:
    """Fetch papers by arXiv id from the API."""
    run = resumable_run(
        API, f"ids:{_digest(*ids)}", {"ids": list(ids)[:100]}, restart=restart, dry_run=dry_run
    )
    start = int(run.checkpoint.get("done", 0))
    with _client(client) as http:
        return ingest(
            run,
            api.fetch_ids(http, ids, start=start),
            batch_size=settings.ARXIV_API_PAGE_SIZE,
            dry_run=dry_run,
        )


def ingest_query(
    query: str,
    *,
    max_results: int = 1000,
    sort_by: str = "submittedDate",
    dry_run: bool = False,
    restart: bool = False,
    client: PoliteClient | None = None,
    on_batch: Callable[[IngestRun], None] | None = None,
) -> IngestRun:
    """Fetch the papers matching an API search query (at most ``max_results``)."""
    params = {"query": query, "max_results": max_results, "sort_by": sort_by}
    key = f"query:{_digest(query, max_results, sort_by)}"
    run = resumable_run(API, key, params, restart=restart, dry_run=dry_run)
    start = int(run.checkpoint.get("start", 0))
    with _client(client) as http:
        items = api.search(http, query, start=start, max_results=max_results, sort_by=sort_by)
        return ingest(
            run, items, batch_size=settings.ARXIV_API_PAGE_SIZE, dry_run=dry_run, on_batch=on_batch
        )


def last_harvest_date(metadata_prefix: str, set_spec: str | None) -> str | None:
    """The ``from`` for an incremental harvest: the day the last finished harvest began."""
    run = (
        IngestRun.objects.filter(
            source=OAI,
            key=f"oai:{metadata_prefix}:{set_spec or '*'}",
            status=IngestRun.Status.SUCCEEDED,
        )
        .order_by("-started_at", "-id")
        .first()
    )
    started = run.checkpoint.get("started") if run is not None else None
    return str(started) if started else None


def harvest_oai(
    *,
    metadata_prefix: str | None = None,
    set_spec: str | None = None,
    from_date: str | None = None,
    dry_run: bool = False,
    restart: bool = False,
    client: PoliteClient | None = None,
    on_batch: Callable[[IngestRun], None] | None = None,
) -> tuple[IngestRun, Harvest]:
    """Harvest with OAI-PMH ``ListRecords``; an interrupted harvest of the same format and set
    goes on from its last saved page; without ``from_date`` it goes on from the last
    finished harvest (or harvests everything)."""
    prefix = metadata_prefix or settings.ARXIV_OAI_FORMAT
    key = f"oai:{prefix}:{set_spec or '*'}"
    if from_date is None and not dry_run:
        from_date = last_harvest_date(prefix, set_spec)
    params = {"metadata_prefix": prefix, "set": set_spec, "from": from_date}
    run = resumable_run(OAI, key, params, restart=restart, dry_run=dry_run)
    checkpoint = run.checkpoint
    if run.pk is not None and run.params.get("from") != from_date and not checkpoint:
        from_date = run.params.get("from")  # go on with the interrupted harvest
    if checkpoint:
        from_date = checkpoint.get("from", from_date)
    with _client(client) as http:
        harvest = Harvest(
            http,
            metadata_prefix=prefix,
            set_spec=set_spec,
            from_date=from_date,
            token=checkpoint.get("token"),
            skip=int(checkpoint.get("skip", 0)),
            started=checkpoint.get("started"),
            deleted=int(checkpoint.get("deleted", 0)),
        )
        if checkpoint.get("done"):
            run.finish(IngestRun.Status.SUCCEEDED)
            return run, harvest
        ingest(run, harvest.items(), dry_run=dry_run, batch_size=500, on_batch=on_batch)
    return run, harvest


def ingest_announcements(
    categories: Sequence[str] | None = None,
    *,
    dry_run: bool = False,
    client: PoliteClient | None = None,
) -> IngestRun:
    """Today's announcements of the categories (default: the configured ones)."""
    cats = list(categories or settings.ARXIV_CATEGORIES)
    feed = "+".join(cats)
    run = resumable_run(
        ANNOUNCEMENTS, f"announcements:{feed}", {"categories": cats}, restart=True, dry_run=dry_run
    )
    with _client(client) as http:
        run = ingest(
            run,
            read_announcements(http, cats),
            dry_run=dry_run,
            batch_size=500,
            after_upsert=save_announcements,
        )
    if run.seen == 0:
        log.info("announcements for %s: the feed is empty today (weekend or holiday)", feed)
    return run


def ingest_daily_papers(
    day: date,
    *,
    dry_run: bool = False,
    restart: bool = False,
    client: PoliteClient | None = None,
) -> IngestRun:
    """The papers Hugging Face featured on ``day``, and who featured them."""
    run = resumable_run(
        HUGGINGFACE,
        f"hf:{day.isoformat()}",
        {"date": day.isoformat()},
        restart=restart,
        dry_run=dry_run,
    )
    if run.checkpoint.get("day") != day.isoformat():
        run.checkpoint = {}
    start_page = int(run.checkpoint.get("page", 0))
    with _client(client) as http:
        return ingest(
            run,
            read_daily_papers(http, day, start_page=start_page),
            batch_size=PAGE_SIZE,  # a page of HF's list a batch
            dry_run=dry_run,
            after_upsert=announce_featurings,
        )


def complete_papers(
    *, limit: int = COMPLETE_LIMIT, client: PoliteClient | None = None
) -> IngestRun | None:
    """Fetch full metadata (dates, comments, DOI) from the API for papers that a feed added
    without it."""
    ids = list(
        Paper.objects.filter(submitted__isnull=True)
        .order_by("-id")
        .values_list("arxiv_id", flat=True)[:limit]
    )
    if not ids:
        return None
    return ingest_ids(ids, client=client)


@dataclass
class Refresh:
    """What a refresh did: the runs of the sources it read, and the steps that failed."""

    runs: list[IngestRun] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    steps: int = 0

    def check(self) -> None:
        """Raise JobFailed when a step failed (the others were still run)."""
        if self.failed:
            raise JobFailed(
                f"refresh: {len(self.failed)} of {self.steps} steps failed: "
                + "; ".join(self.failed)
            )


def refresh(*, dry_run: bool = False, client: PoliteClient | None = None) -> Refresh:
    """The scheduled refresh: today's announcements of the configured categories, full
    metadata for the papers they added, and HF's daily list when followed. A source that fails
    is recorded (its IngestRun) and logged, and the others still run; ``Refresh.check``
    then fails the job."""
    done = Refresh()
    steps: list[tuple[str, Callable[[], IngestRun | None]]] = [
        ("announcements", lambda: ingest_announcements(dry_run=dry_run, client=client)),
    ]
    if not dry_run:
        steps.append(("completing papers", lambda: complete_papers(client=client)))
    if settings.FOLLOW_HF:
        today = timezone.now().date()
        for day in (today - timedelta(days=1), today):
            steps.append(
                (
                    f"Hugging Face {day}",
                    lambda day=day: ingest_daily_papers(  # type: ignore[misc]
                        day, dry_run=dry_run, client=client
                    ),
                )
            )
    done.steps = len(steps)
    for name, step in steps:
        try:
            run = step()
        except SourceError as exc:
            _say_failed(f"refresh: {name}", exc)
            done.failed.append(f"{name}: {exc}")
            continue
        if run is not None:
            done.runs.append(run)
            log.info(
                "refresh: %s: %d seen, %d added, %d updated, %d rejected",
                name,
                run.seen,
                run.added,
                run.updated,
                run.rejected,
            )
    return done


def fill_query(days: int, categories: Sequence[str], today: date) -> str:
    first = today - timedelta(days=days)
    cats = " OR ".join(f"cat:{c}" for c in categories)
    return f"({cats}) AND submittedDate:[{first:%Y%m%d}0000 TO {today:%Y%m%d}2359]"


def first_fill(days: int | None = None, *, client: PoliteClient | None = None) -> IngestRun | None:
    """Fill an empty catalogue with the last ``days`` days of the configured categories
    (None when there is nothing to do: ``days`` is 0). When arXiv cannot be read it says so
    once in the log and raises JobFailed; without network the next start tries again."""
    days = settings.FIRST_FILL_DAYS if days is None else days
    if days <= 0:
        return None
    query = fill_query(days, settings.ARXIV_CATEGORIES, timezone.now().date())
    log.info(
        "first fill: reading the last %d days of %s from arXiv",
        days,
        ", ".join(settings.ARXIV_CATEGORIES),
    )

    def progress(run: IngestRun) -> None:
        log.info("first fill: %d papers read, %d added so far", run.seen, run.added)

    with _client(client) as http:
        try:
            run = ingest_query(query, max_results=api.MAX_RESULTS, client=http, on_batch=progress)
        except SourceError as exc:
            # The next start tries again (schedule.start_first_fill), and so does the command.
            if isinstance(exc, FetchError) and exc.offline:
                hint = "; serving what the catalogue has. The scheduled refresh will try again."
            else:
                hint = "; run `dailypapers ingest fill` to try again"
            _say_failed("first fill", exc, hint)
            if settings.FOLLOW_HF:
                hf_history(days, client=http)
            raise JobFailed(f"first fill: {exc}") from exc
        log.info("first fill: done, %d papers added", run.added)
        if settings.FOLLOW_HF:
            hf_history(days, client=http)
    return run


def hf_history(days: int, *, client: PoliteClient | None = None) -> list[IngestRun]:
    """Hugging Face's daily lists of the last ``days`` days and today, oldest first, so a
    new site following HF has a week of featured papers on its first day. Stops at the first
    day that fails (said once in the log: HF is unreachable or answers badly); what was read
    before is kept, and the scheduled refresh reads yesterday and today again."""
    today = timezone.now().date()
    runs: list[IngestRun] = []
    with _client(client) as http:
        for offset in range(days, -1, -1):
            day = today - timedelta(days=offset)
            try:
                runs.append(ingest_daily_papers(day, client=http))
            except SourceError as exc:
                _say_failed(f"first fill: Hugging Face {day}", exc)
                break
    if runs:
        log.info(
            "first fill: Hugging Face's daily lists of %d days read, %d papers",
            len(runs),
            sum(run.seen for run in runs),
        )
    return runs
