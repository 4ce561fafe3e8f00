"""`dailypapers status` shows each source's last run, what it did and its last error."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from dailypapers.sources import jobs
from dailypapers.sources.http import SourceError
from tests.sources.sources_loopback import ATOM, Reply, fixture

pytestmark = pytest.mark.django_db(transaction=True)


def test_status_shows_each_sources_last_run_and_last_error(sources, capsys):
    sources.reply("/api/query", Reply(200, b"<feed", ATOM))
    with pytest.raises(SourceError):
        jobs.ingest_ids(["2501.01234"])
    sources.reply("/api/query", Reply(200, fixture("api_ids.xml"), ATOM))
    jobs.ingest_ids(["hep-ex/0307015", "2501.01234"])
    sources.reply("/atom/cs.AI", Reply(200, fixture("announcements_empty.xml"), ATOM))
    jobs.ingest_announcements(["cs.AI"])

    call_command("status")
    out = capsys.readouterr().out
    api_line = next(line for line in out.splitlines() if "arxiv-api" in line)
    assert "succeeded" in api_line and "2 added, 0 updated" in api_line
    assert "last error" in api_line and "malformed or cut short" in api_line
    ann_line = next(line for line in out.splitlines() if "announcements" in line)
    assert "succeeded" in ann_line and "0 added" in ann_line and "error" not in ann_line
