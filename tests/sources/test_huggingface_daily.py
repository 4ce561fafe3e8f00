"""Hugging Face's daily papers list against a loopback server."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import call_command

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.sources import jobs
from dailypapers.sources.http import SourceError
from tests.sources.sources_loopback import HTML, JSON, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2025, 8, 21)


def test_papers_and_who_featured_them_are_recorded(sources):
    """Hostile input among the entries: one whose id is not an arXiv id."""
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    run = jobs.ingest_daily_papers(DAY)
    assert (run.status, run.added, run.rejected) == ("succeeded", 2, 1)
    assert sources.requests_to("/api/daily_papers")[0].query == {
        "date": "2025-08-21",
        "limit": "100",
        "p": "0",
    }
    align = Paper.objects.get(arxiv_id="2508.13426")
    assert align.repo_url == "https://github.com/example/align"
    assert align.project_page == "https://align-llm.example.org"
    assert align.github_stars == 42  # HF's count, shown beside the code link
    assert align.last_source == "huggingface"
    entry = DailyEntry.objects.get(paper=align)
    assert entry.day == DAY
    assert entry.source == "huggingface"
    assert entry.submitted_by_name == "akhaliq"
    assert entry.submitted_at.isoformat().startswith("2025-08-20T06:11:02")
    lr = Paper.objects.get(arxiv_id="2508.14001")
    assert lr.author_names == ["Priya Natarajan"]  # the hidden author is left out
    assert lr.repo_url == "" and lr.project_page == ""
    assert lr.github_stars is None
    assert DailyEntry.objects.get(paper=lr).submitted_by_name == "priyan"


def test_rerun_does_not_duplicate_entries(sources):
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    jobs.ingest_daily_papers(DAY)
    jobs.ingest_daily_papers(DAY, restart=True)
    call_command("ingest", "hf", "--date", "2025-08-21", "--days", "2")
    assert DailyEntry.objects.count() == 2
    assert Paper.objects.count() == 2


def test_dry_run_writes_nothing(sources):
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    call_command("ingest", "hf", "--date", "2025-08-21", "--dry-run")
    assert DailyEntry.objects.count() == 0 and Paper.objects.count() == 0


def test_error_object_html_and_broken_json_are_clear_errors(sources):
    """Hostile input: HF's error object instead of an array; an HTML page; JSON cut short."""
    sources.reply("/api/daily_papers", Reply(400, fixture("hf_error.json"), JSON))
    with pytest.raises(SourceError, match="HTTP 400"):
        jobs.ingest_daily_papers(DAY)
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_error.json"), JSON))
    with pytest.raises(SourceError, match="HF says: Invalid date format"):
        jobs.ingest_daily_papers(DAY)
    sources.reply("/api/daily_papers", Reply(200, fixture("maintenance.html"), HTML))
    with pytest.raises(SourceError, match="HTML page instead of JSON"):
        jobs.ingest_daily_papers(DAY)
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json")[:700], JSON))
    with pytest.raises(SourceError, match="not valid JSON"):
        jobs.ingest_daily_papers(DAY)
    assert DailyEntry.objects.count() == 0


def test_hf_featurings_reach_visitors_at_once(sources, settings, client):
    """The community records HF's featurings (the one writer of featured papers), so the
    visitors' cached pages are renewed: before, the reader wrote the entries itself and a
    cached home page went on without them."""
    settings.PAGE_CACHE_SECONDS = 60
    day = DAY.isoformat()
    assert (
        "Learning Rates That Learn Themselves"
        not in client.get(f"/papers/date/{day}").content.decode()
    )
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    jobs.ingest_daily_papers(DAY)
    page = client.get(f"/papers/date/{day}").content.decode()
    assert "Learning Rates That Learn Themselves" in page
    assert "priyan" in page  # who featured it on HF
    jobs.ingest_daily_papers(DAY, restart=True)
    assert DailyEntry.objects.count() == 2  # the same list again adds nothing
