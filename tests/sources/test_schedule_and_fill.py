"""The scheduler, the scheduled refresh and the first fill of an empty catalogue."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import default_task_backend

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.sources import jobs, schedule, tasks
from dailypapers.sources.models import IngestRun, ScheduledJob
from tests.sources.sources_loopback import ATOM, JSON, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(settings):
    """A task backend that keeps what is enqueued instead of running it."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


def enqueued(queue) -> list[str]:
    return [result.task.name for result in queue.results]


def test_a_due_job_is_claimed_once(settings):
    every = timedelta(minutes=settings.REFRESH_MINUTES)
    assert schedule.claim("refresh-sources", every) is True
    assert schedule.claim("refresh-sources", every) is False  # a second scheduler: not due
    ScheduledJob.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert schedule.claim("refresh-sources", every) is True


def test_tick_enqueues_the_refresh_and_the_digests_round_when_due(queue):
    assert schedule.tick() == ["refresh-sources", "digests"]
    assert schedule.tick() == []
    assert enqueued(queue) == ["refresh_sources", "digests_due"]


def test_no_refresh_when_disabled(queue, settings):
    settings.REFRESH_MINUTES = 0
    assert schedule.tick() == ["digests"]
    settings.DIGEST_MINUTES = 0
    ScheduledJob.objects.update(next_run_at=timezone.now() - timedelta(seconds=1))
    assert schedule.tick() == []


def test_scheduler_command_once(queue, capsys, settings):
    settings.FIRST_FILL_DAYS = 0
    call_command("scheduler", "--once")
    assert "enqueued: refresh-sources" in capsys.readouterr().out


def test_first_fill_is_enqueued_once_on_an_empty_catalogue(queue):
    assert schedule.start_first_fill() is True
    assert schedule.start_first_fill() is False  # another process, or the next start
    assert enqueued(queue) == ["fill_catalogue"]


def test_no_first_fill_when_the_catalogue_has_papers(queue):
    Paper.objects.create(arxiv_id="2501.00001", title="Already here")
    assert schedule.start_first_fill() is False
    assert enqueued(queue) == []


def test_first_fill_without_network_says_so_once(sources, settings, caplog, queue):
    """Hostile input: no network at all (nothing listens where arXiv should be)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.ARXIV_API_URL = f"http://127.0.0.1:{port}/api/query"
    schedule.start_first_fill()
    with caplog.at_level(logging.DEBUG, logger="dailypapers"), pytest.raises(jobs.JobFailed):
        tasks.fill_catalogue.call(7)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and "first fill: no network" in loud[0].getMessage()
    assert ScheduledJob.objects.get(name=schedule.FIRST_FILL).last_outcome == "failed"
    assert schedule.start_first_fill() is True  # retried at the next start
    assert schedule.start_first_fill() is False


def test_first_fill_reads_the_last_days_of_the_categories(sources, settings, caplog):
    settings.ARXIV_CATEGORIES = ["cs.CL", "cs.AI"]
    pages = {"0": "api_query_page0.xml", "2": "api_query_page2.xml"}
    sources.route("/api/query", lambda q: Reply(200, fixture(pages[q["start"]]), ATOM))
    with caplog.at_level(logging.INFO, logger="dailypapers"):
        run = jobs.first_fill(7)
    assert run is not None and run.added == 3
    query = sources.requests_to("/api/query")[0].query["search_query"]
    today = timezone.now().date()
    first = today - timedelta(days=7)
    assert query == (
        f"(cat:cs.CL OR cat:cs.AI) AND submittedDate:[{first:%Y%m%d}0000 TO {today:%Y%m%d}2359]"
    )
    assert any("first fill: 2 papers read" in r.getMessage() for r in caplog.records)


def test_refresh_reads_announcements_completes_them_and_follows_hf(sources, settings):
    settings.ARXIV_CATEGORIES = ["cs.AI", "cs.CL"]
    settings.FOLLOW_HF = True
    sources.reply("/atom/cs.AI+cs.CL", Reply(200, fixture("announcements_atom.xml"), ATOM))
    sources.reply("/api/query", Reply(200, fixture("api_ids.xml"), ATOM))
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    done = jobs.refresh()
    done.check()
    runs = done.runs
    assert [r.source for r in runs] == ["announcements", "arxiv-api", "huggingface", "huggingface"]
    asked = set(sources.requests_to("/api/query")[0].query["id_list"].split(","))
    assert asked == {"2508.13426", "2508.13500", "2401.01234"}  # papers lacking dates
    assert DailyEntry.objects.count() == 2


def test_a_refresh_uses_the_client_it_is_given_for_every_step(sources, settings):
    """One client through every step, left open for its owner (it was closed after the
    first step, and the next steps failed on a closed client)."""
    from dailypapers.sources.http import PoliteClient

    settings.FOLLOW_HF = True
    sources.reply(
        "/atom/cs.AI+cs.CL+cs.CV+cs.LG+stat.ML", Reply(200, fixture("announcements_atom.xml"), ATOM)
    )
    sources.reply("/api/query", Reply(200, fixture("api_ids.xml"), ATOM))
    sources.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    with PoliteClient() as client:
        done = jobs.refresh(client=client)
        done.check()
        assert not client.http.is_closed
    assert [r.source for r in done.runs] == [
        "announcements",
        "arxiv-api",
        "huggingface",
        "huggingface",
    ]


def test_refresh_goes_on_when_one_source_fails(sources, settings):
    """Hostile input: the announcement feed answers 500 on every try."""
    settings.FOLLOW_HF = True
    sources.reply("/api/daily_papers", Reply(200, b"[]", JSON))
    done = jobs.refresh()
    assert [r.source for r in done.runs] == ["huggingface", "huggingface"]
    failed = IngestRun.objects.get(source="announcements")
    assert failed.status == "failed" and "HTTP 404" in failed.last_error
    with pytest.raises(jobs.JobFailed, match="1 of 4 steps failed: announcements: "):
        done.check()  # the job is recorded as failed
