"""What `dailypapers status` reports: the state of an installation at a glance."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count

from dailypapers import __version__
from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.digests.models import OutboxMessage, Subscription
from dailypapers.sources.models import IngestRun, ScheduledJob
from dailypapers.sources.schedule import REFRESH


def last_runs() -> dict[str, dict[str, Any]]:
    """The latest ingest run of each source."""
    runs: dict[str, dict[str, Any]] = {}
    sources = IngestRun.objects.order_by().values_list("source", flat=True).distinct()
    for source in sorted(sources):
        of_source = IngestRun.objects.filter(source=source).order_by("-started_at", "-id")
        run = of_source.first()
        if run is not None:
            runs[source] = run.summary()
            failed = of_source.exclude(last_error="").first()
            runs[source]["last_failure"] = (
                None
                if failed is None
                else {
                    "at": (failed.finished_at or failed.started_at).isoformat(),
                    "error": failed.last_error,
                }
            )
    return runs


def index_status() -> dict[str, Any]:
    """The search index: papers in it, how many have vectors and how many wait for it."""
    from dailypapers.search.holder import HOLDER

    pending = Paper.objects.needing_index().count()
    try:
        stats = HOLDER.index().stats()
    except Exception as exc:  # a broken or unreadable index is reported, not raised
        return {"pending": pending, "state": f"unreadable ({exc})"}
    embedded = stats.documents - stats.unembedded
    if stats.documents == 0:
        state = "empty"
    elif stats.unembedded:
        share = 100 * embedded / stats.documents
        state = (
            f"{stats.documents:,} papers, {embedded:,} with vectors ({share:.0f}%, "
            "embedding in the background)"
        )
    else:
        state = f"{stats.documents:,} papers, all with vectors"
    return {
        "pending": pending,
        "state": state,
        "documents": stats.documents,
        "embedded": embedded,
        "bytes_on_disk": stats.bytes_on_disk,
    }


def collect_status() -> dict[str, Any]:
    db = settings.DATABASES["default"]
    return {
        "version": __version__,
        "mode": "production" if settings.PRODUCTION else "embedded",
        "database": {"vendor": connection.vendor, "name": str(db["NAME"])},
        "data_dir": str(settings.DATA_DIR),
        "jobs": settings.TASKS["default"]["BACKEND"],
        "papers": Paper.objects.count(),
        "featured_papers": DailyEntry.objects.count(),
        "users": get_user_model().objects.count(),
        "subscriptions": {
            "total": Subscription.objects.count(),
            "active": Subscription.objects.filter(
                confirmed_at__isnull=False, unsubscribed_at__isnull=True, paused_at__isnull=True
            ).count(),
            "paused": Subscription.objects.filter(
                paused_at__isnull=False, unsubscribed_at__isnull=True
            ).count(),
        },
        "outbox": dict(
            OutboxMessage.objects.order_by()
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        ),
        "index": index_status(),
        "sources": last_runs(),
        "schedule": {
            job.name: job.next_run_at.isoformat() for job in ScheduledJob.objects.order_by("name")
        },
        "background_jobs": job_outcomes(),
    }


def job_outcomes() -> dict[str, dict[str, Any]]:
    """How the last run of each background job ended (the jobs record it themselves, so this
    holds for every job backend)."""
    return {
        job.name: {
            "outcome": job.last_outcome,
            "started_at": job.last_started_at.isoformat() if job.last_started_at else None,
            "finished_at": job.last_finished_at.isoformat() if job.last_finished_at else None,
            "error": job.last_error,
        }
        for job in ScheduledJob.objects.exclude(last_outcome="").order_by("name")
    }


def format_status(status: dict[str, Any]) -> str:
    lines = [
        f"Daily Papers {status['version']} ({status['mode']} mode, "
        f"{status['database']['vendor']} {status['database']['name']})",
        f"{'papers':<18}{status['papers']:,}",
        f"{'featured papers':<18}{status['featured_papers']:,}",
        f"{'users':<18}{status['users']:,}",
        f"{'subscriptions':<18}{status['subscriptions']['total']:,} "
        f"({status['subscriptions']['active']:,} active)",
        f"{'search index':<18}{status['index']['state']}; "
        f"{status['index']['pending']:,} papers waiting to be indexed",
        "last ingest",
    ]
    if not status["sources"]:
        lines.append(
            "  (none yet: `dailypapers ingest snapshot FILE` or `dailypapers ingest fill` "
            "fills the catalogue)"
        )
    for source, run in status["sources"].items():
        when = (run["finished_at"] or run["started_at"])[:16].replace("T", " ")
        line = (
            f"  {source:<16}{run['status']} {when} UTC: {run['added']:,} added, "
            f"{run['updated']:,} updated, {run['unchanged']:,} unchanged, "
            f"{run['rejected']:,} rejected"
        )
        if run["last_error"] and run["status"] != "succeeded":
            line += f"; error: {run['last_error'][:200]}"
        elif run.get("last_failure"):
            failure = run["last_failure"]
            line += f"; last error {failure['at'][:16].replace('T', ' ')} UTC: "
            line += failure["error"][:200]
        lines.append(line)
    jobs = status.get("background_jobs") or {}
    if jobs:
        lines.append("background jobs")
    for name, job in jobs.items():
        when = (job["finished_at"] or job["started_at"] or "")[:16].replace("T", " ")
        line = f"  {name:<16}{job['outcome']} {when} UTC"
        if job["error"]:
            line += f": {job['error'][:300]}"
        lines.append(line)
    next_refresh = status.get("schedule", {}).get(REFRESH)
    if next_refresh:
        lines.append(f"{'next refresh':<18}{next_refresh[:16].replace('T', ' ')} UTC")
    return "\n".join(lines)
