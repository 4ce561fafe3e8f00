"""`dailypapers ingest snapshot`: streaming, batching, bad lines, interruption, resuming."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from dailypapers.catalog.models import Author, Paper, PaperAuthor
from dailypapers.sources.models import IngestRun
from dailypapers.sources.snapshot import record_from_snapshot
from tests.conftest import run_cli, snapshot_line

pytestmark = pytest.mark.django_db(transaction=True)


def _ids(n: int, start: int = 1) -> list[str]:
    return [f"2501.{i:05d}" for i in range(start, start + n)]


def test_record_from_a_real_format_line():
    record = record_from_snapshot(
        snapshot_line(
            "hep-th/9901001",
            authors_parsed=[['K\\"onig', "J.", "Jr"], ["Bal\\'azs", "A.", ""]],
            versions=[
                {"version": "v2", "created": "Tue, 2 Feb 1999 10:00:00 GMT"},
                {"version": "v1", "created": "Fri, 1 Jan 1999 09:00:00 GMT"},
            ],
            categories="hep-th gr-qc",
            **{"journal-ref": "Phys.Rev. D1 (1999) 1", "report-no": "CERN-TH-1"},
        )
    ).normalized()
    assert record.arxiv_id == "hep-th/9901001"
    assert record.version == 2
    assert record.authors == ["J. König Jr", "A. Balázs"]
    assert record.primary_category == "hep-th"
    assert record.categories == ["hep-th", "gr-qc"]
    assert (
        record.submitted is not None and record.submitted.isoformat() == "1999-01-01T09:00:00+00:00"
    )
    assert record.updated is not None and record.updated.day == 2
    assert record.journal_ref == "Phys.Rev. D1 (1999) 1"
    assert record.report_no == "CERN-TH-1"


def test_missing_authors_and_categories_are_unknown_not_empty():
    record = record_from_snapshot(
        snapshot_line("2501.00001", authors="", authors_parsed=[], categories="")
    )
    assert record.authors is None
    assert record.categories is None


def test_imports_plain_and_gzip_files(write_snapshot, capsys):
    plain = write_snapshot([snapshot_line(i) for i in _ids(5)])
    call_command("ingest", "snapshot", str(plain), batch_size=2)
    assert Paper.objects.count() == 5
    packed = write_snapshot([snapshot_line(i) for i in _ids(5, start=6)], name="s.jsonl.gz")
    call_command("ingest", "snapshot", str(packed))
    assert Paper.objects.count() == 10
    assert Author.objects.count() == 2
    assert PaperAuthor.objects.count() == 20
    out = capsys.readouterr().out
    assert "5 records, 5 added" in out


def test_bad_lines_are_reported_with_line_numbers_and_skipped(write_snapshot, capsys):
    lines: list = [
        snapshot_line("2501.00001"),
        "{this is not json",
        snapshot_line("2501.99999999"),  # bad id
        json.dumps(["a", "list"]),
        snapshot_line("2501.00002", title="   "),  # empty title
        snapshot_line("2501.00003", abstract="x" * 10_000_000),  # a 10 MB abstract
        snapshot_line("2501.00004", title="<script>alert(1)</script>"),
        "",
    ]
    call_command("ingest", "snapshot", str(write_snapshot(lines)), batch_size=3)
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["2501.00001", "2501.00004"]
    run = IngestRun.objects.get()
    assert run.status == "succeeded"
    assert (run.added, run.rejected) == (2, 5)
    by_line = {e["line"]: e["error"] for e in run.errors}
    assert set(by_line) == {2, 3, 4, 5, 6}
    assert "not valid JSON" in by_line[2]
    assert "not an arXiv id" in by_line[3]
    assert "not a JSON object" in by_line[4]
    assert "title is empty" in by_line[5]
    assert "abstract is 10,000,000 characters" in by_line[6]
    err = capsys.readouterr().err
    assert "rejected line 2:" in err
    assert "rejected line 6 (2501.00003):" in err


def test_a_rerun_of_the_same_file_changes_nothing(write_snapshot):
    path = write_snapshot([snapshot_line(i) for i in _ids(6)])
    call_command("ingest", "snapshot", str(path))
    call_command("ingest", "snapshot", str(path))
    assert Paper.objects.count() == 6
    latest = IngestRun.objects.order_by("-id").first()
    assert latest is not None
    assert (latest.added, latest.unchanged) == (0, 6)


def test_interrupted_import_keeps_batches_and_resumes(write_snapshot):
    path = write_snapshot([snapshot_line(i) for i in _ids(10)])
    from dailypapers.sources import runner

    real = runner.upsert_papers
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    with mock.patch.object(runner, "upsert_papers", flaky), pytest.raises(SystemExit) as exit_:
        call_command("ingest", "snapshot", str(path), batch_size=3)
    assert exit_.value.code == 130
    assert Paper.objects.count() == 6  # two batches committed, the third rolled back
    run = IngestRun.objects.get()
    assert (run.status, run.checkpoint) == ("interrupted", {"line": 6})

    call_command("ingest", "snapshot", str(path), batch_size=3)
    run.refresh_from_db()
    assert run.status == "succeeded"
    assert Paper.objects.count() == 10
    assert (run.added, run.seen) == (10, 10)
    assert IngestRun.objects.count() == 1


def test_restart_ignores_the_checkpoint(write_snapshot):
    path = write_snapshot([snapshot_line(i) for i in _ids(4)])
    IngestRun.objects.create(
        source="snapshot",
        key=__import__("dailypapers.sources.snapshot", fromlist=["x"])
        .SnapshotFile.open_path(path)
        .key,
        status="interrupted",
        checkpoint={"line": 4},
    )
    call_command("ingest", "snapshot", str(path))
    assert Paper.objects.count() == 0  # resumed after the last line: nothing left to do
    call_command("ingest", "snapshot", str(path), restart=True)
    assert Paper.objects.count() == 4


def test_a_damaged_gzip_file_keeps_what_was_read(tmp_path):
    text = "".join(json.dumps(snapshot_line(i)) + "\n" for i in _ids(400))
    data = gzip.compress(text.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CommandError, match="damaged or cut short"):
        call_command("ingest", "snapshot", str(path), batch_size=50)
    kept = Paper.objects.count()
    assert kept > 0
    run = IngestRun.objects.get()
    assert run.status == "failed"
    assert "cut short" in run.last_error
    assert run.checkpoint == {"line": kept}


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("ingest", "snapshot", str(tmp_path / "nope.jsonl"))


def test_dry_run_writes_nothing(write_snapshot, capsys):
    path = write_snapshot([snapshot_line("2501.00001"), snapshot_line("bad")])
    call_command("ingest", "snapshot", str(path), dry_run=True)
    assert Paper.objects.count() == 0
    assert IngestRun.objects.count() == 0
    out = capsys.readouterr().out
    assert "2 records, 1 would take" in out
    assert "1 rejected" in out


def _count_papers(env: dict[str, str]) -> int:
    """Papers committed so far by a child process, read straight from its database."""
    if "DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://")) as conn:
            row = conn.execute("SELECT count(*) FROM catalog_paper").fetchone()
    else:
        import sqlite3

        db = sqlite3.connect(Path(env["DAILYPAPERS_DATA_DIR"]) / "dailypapers.sqlite3")
        try:
            row = db.execute("SELECT count(*) FROM catalog_paper").fetchone()
        except sqlite3.OperationalError:  # busy: try again
            row = (0,)
        finally:
            db.close()
    return int(row[0]) if row else 0


def test_killed_process_resumes_where_it_stopped(write_snapshot, cli_env):
    """A real crash: SIGKILL the importer mid-file, then run the same command again."""
    path = write_snapshot([snapshot_line(i) for i in _ids(30_000)], name="big.jsonl.gz")
    args = [sys.executable, "-m", "dailypapers.cli", "ingest", "snapshot", str(path)]
    proc = subprocess.Popen(
        [*args, "--batch-size", "300", "--progress", "lines"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    status_args = ("status", "--json")
    deadline = time.monotonic() + 120
    papers = 0
    while time.monotonic() < deadline and papers < 900 and proc.poll() is None:
        time.sleep(0.02)
        papers = _count_papers(cli_env)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status = json.loads(run_cli(cli_env, *status_args).stdout)
    assert status["sources"]["snapshot"]["status"] == "running"
    killed_at = status["papers"]
    assert 0 < killed_at < 30_000

    again = run_cli(cli_env, "ingest", "snapshot", str(path), "--batch-size", "500", timeout=600)
    assert again.returncode == 0, again.stderr
    assert "Resuming big.jsonl.gz after line" in again.stderr
    status = json.loads(run_cli(cli_env, *status_args).stdout)
    assert status["papers"] == 30_000
    assert status["sources"]["snapshot"]["status"] == "succeeded"
    assert status["sources"]["snapshot"]["added"] == 30_000
