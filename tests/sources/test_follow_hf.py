"""Following Hugging Face's daily list, on by default: a new site's first fill reads HF's lists
of its days, against a real loopback server playing HF and arXiv; without network the whole
start says so in one line and the site still serves."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from dailypapers.catalog.models import Paper
from dailypapers.community.models import DailyEntry
from dailypapers.sources import jobs
from tests.sources.sources_loopback import ATOM, JSON, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def arxiv_answers(sources, settings):
    settings.ARXIV_CATEGORIES = ["cs.CL", "cs.AI"]
    pages = {"0": "api_query_page0.xml", "2": "api_query_page2.xml"}
    sources.route("/api/query", lambda q: Reply(200, fixture(pages[q["start"]]), ATOM))
    return sources


def test_the_first_fill_reads_hfs_lists_of_its_days(arxiv_answers, settings, client):
    settings.FOLLOW_HF = True
    featured_on = timezone.now().date() - timedelta(days=2)

    def daily(query: dict[str, str]) -> Reply:
        if query["date"] == featured_on.isoformat():
            return Reply(200, fixture("hf_daily.json"), JSON)
        return Reply(200, b"[]", JSON)  # HF featured nothing (a weekend, say)

    arxiv_answers.route("/api/daily_papers", daily)
    run = jobs.first_fill(3)
    assert run is not None and run.added == 3
    asked = [s.query["date"] for s in arxiv_answers.requests_to("/api/daily_papers")]
    today = timezone.now().date()
    assert asked == [(today - timedelta(days=n)).isoformat() for n in (3, 2, 1, 0)]
    entries = DailyEntry.objects.select_related("paper").order_by("paper__arxiv_id")
    assert [(e.paper.arxiv_id, e.day, e.source) for e in entries] == [
        ("2508.13426", featured_on, "huggingface"),
        ("2508.14001", featured_on, "huggingface"),
    ]
    # Shown as featured on HF, with who featured it there; the vote button is the site's own.
    page = client.get(f"/papers/date/{featured_on}").content.decode()
    assert page.count("Featured on Hugging Face</a> by") == 2
    assert f'href="{settings.HF_URL}/papers/2508.13426"' in page
    assert "Submitted by" not in page
    assert "Log in to upvote" in page
    paper = client.get("/papers/2508.13426").content.decode()
    assert "Hugging Face's daily papers</a> (featured there by <bdi>akhaliq</bdi>)" in paper


def test_not_following_hf_reads_only_arxiv(arxiv_answers, settings):
    settings.FOLLOW_HF = False
    arxiv_answers.reply("/api/daily_papers", Reply(200, fixture("hf_daily.json"), JSON))
    jobs.first_fill(3)
    assert arxiv_answers.requests_to("/api/daily_papers") == []
    assert not DailyEntry.objects.exists()


def test_hf_failing_does_not_undo_the_arxiv_fill_and_is_said_once(arxiv_answers, settings, caplog):
    """Hostile input: HF answers an HTML error page instead of JSON on every day."""
    settings.FOLLOW_HF = True
    arxiv_answers.reply("/api/daily_papers", Reply(200, b"<html>Maintenance</html>", "text/html"))
    with caplog.at_level(logging.INFO, logger="dailypapers"):
        run = jobs.first_fill(5)
    assert run is not None and run.added == 3 and Paper.objects.count() == 3
    assert len(arxiv_answers.requests_to("/api/daily_papers")) == 1  # stops at the first day
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and "first fill: Hugging Face" in loud[0], loud
    assert "HTML page instead of JSON" in loud[0]


def test_an_offline_start_says_no_network_once_for_every_host(sources, settings, caplog, client):
    """Tried: arXiv's API, its feeds and HF each on a host of its own that nothing answers
    (as export.arxiv.org, rss.arxiv.org and huggingface.co are on a machine without network),
    through the first fill and a refresh, with the client's retries."""
    settings.FOLLOW_HF = True
    settings.ARXIV_API_URL = f"http://127.0.0.2:{_closed_port()}/api/query"
    settings.ARXIV_FEED_URL = f"http://127.0.0.3:{_closed_port()}/atom"
    settings.HF_URL = f"http://127.0.0.4:{_closed_port()}"
    Paper.objects.create(arxiv_id="2401.00001", title="Kept", submitted=None)  # to complete
    with caplog.at_level(logging.DEBUG, logger="dailypapers"):
        with pytest.raises(jobs.JobFailed):
            jobs.first_fill(7)
        done = jobs.refresh()
    assert len(done.failed) == 4  # announcements, completion, HF yesterday and today
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1, loud
    assert loud[0].startswith("first fill: no network (could not reach 127.0.0.2")
    quiet = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("no network (could not reach 127.0.0.4" in m for m in quiet)
    assert any("no network (could not reach 127.0.0.3" in m for m in quiet)
    # The site still serves what it has.
    assert client.get("/").status_code == 200


def test_a_host_down_while_the_others_answer_gets_its_warning(arxiv_answers, settings, caplog):
    settings.FOLLOW_HF = True
    settings.HF_URL = f"http://127.0.0.4:{_closed_port()}"
    with caplog.at_level(logging.INFO, logger="dailypapers"):
        jobs.first_fill(2)
        jobs.first_fill(2)  # said again at INFO only
    loud = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) == 1 and "Hugging Face" in loud[0] and "127.0.0.4" in loud[0], loud
