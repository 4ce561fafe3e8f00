"""The `dailypapers` command line."""

import json
import re
import subprocess
import sys

import pytest

from dailypapers.cli import VERBS
from tests.conftest import run_cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_help_lists_every_verb_with_its_purpose(cli_env):
    result = run_cli(cli_env, "--help")
    assert result.returncode == 0
    for verb in [*VERBS, "manage"]:
        line = re.search(rf"^  {verb}\s+(\S.*)$", result.stdout, re.MULTILINE)
        assert line, f"{verb} is missing from --help"
        assert len(line.group(1)) > 15


def test_the_console_script_is_installed(cli_env):
    exe = __import__("shutil").which("dailypapers")
    assert exe, "pip install should put `dailypapers` on the PATH"
    result = subprocess.run([exe, "--version"], env=cli_env, capture_output=True, text=True)
    assert result.returncode == 0
    assert re.fullmatch(r"\d+\.\d+\.\d+\n", result.stdout)


def test_unknown_verb_fails_with_the_list(cli_env):
    result = run_cli(cli_env, "frobnicate")
    assert result.returncode == 2
    assert "no verb 'frobnicate'" in result.stderr
    assert "serve" in result.stderr


def test_each_verb_has_help(cli_env):
    for verb in VERBS:
        result = run_cli(cli_env, verb, "--help")
        assert result.returncode == 0, (verb, result.stderr)
    snapshot = run_cli(cli_env, "ingest", "snapshot", "--help")
    assert "--restart" in snapshot.stdout
    assert "--dry-run" in snapshot.stdout


def test_status_counts(cli_env, write_snapshot):
    from tests.conftest import snapshot_line

    empty = json.loads(run_cli(cli_env, "status", "--json").stdout)
    assert empty["papers"] == 0
    assert empty["sources"] == {}
    path = write_snapshot([snapshot_line("2501.00001"), snapshot_line("2501.00002"), "oops"])
    assert run_cli(cli_env, "ingest", "snapshot", str(path)).returncode == 0
    status = json.loads(run_cli(cli_env, "status", "--json").stdout)
    assert status["papers"] == 2
    assert status["featured_papers"] == 0
    assert status["users"] == 0
    assert status["subscriptions"] == {"total": 0, "active": 0, "paused": 0}
    assert status["outbox"] == {}
    assert status["index"]["pending"] == 2
    snap = status["sources"]["snapshot"]
    assert (snap["status"], snap["added"], snap["rejected"]) == ("succeeded", 2, 1)
    text = run_cli(cli_env, "status").stdout
    assert re.search(r"papers\s+2\n", text)
    assert "snapshot" in text and "2 added" in text and "1 rejected" in text


def test_manage_passes_through(cli_env):
    result = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "manage", "showmigrations", "catalog"],
        env=cli_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0
    assert "[X] 0001_initial" in result.stdout


def test_a_verb_on_a_data_folder_never_migrated_applies_migrations(tmp_path, write_snapshot):
    """Embedded mode: `ingest snapshot` on a fresh data folder used to die with
    `no such table: sources_ingestrun`; now it applies the migrations (saying so in one line
    on stderr) and does its work."""
    import os

    from django.conf import settings

    if settings.PRODUCTION:
        pytest.skip("embedded mode only: production says what to run (the next test)")
    from tests.conftest import snapshot_line

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DAILYPAPERS_DATA_DIR"] = str(tmp_path / "never-migrated")
    path = write_snapshot([snapshot_line("2501.00001")])
    result = run_cli(env, "ingest", "snapshot", str(path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert re.search(
        r"^dailypapers: applying \d+ database migration\(s\) first\.$", result.stderr, re.M
    )
    status = json.loads(run_cli(env, "status", "--json").stdout)
    assert status["papers"] == 1
    again = run_cli(env, "status", "--json")
    assert "applying" not in again.stderr


def test_production_mode_says_what_to_run(cli_env):
    """Production mode never changes the schema behind the operator's back: one line, exit 1."""
    from django.conf import settings

    if not settings.PRODUCTION:
        pytest.skip("production mode only")
    import os
    import uuid

    from tests.conftest import _drop_postgres, _scratch_postgres

    name = f"dailypapers_bare_{uuid.uuid4().hex[:8]}"
    env = {**cli_env, "DATABASE_URL": _scratch_postgres(name)}
    try:
        result = run_cli(env, "status")
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert lines == [lines[-1]] and "run `dailypapers migrate` first" in lines[-1]
        assert os.environ.get("DATABASE_URL") != env["DATABASE_URL"]
    finally:
        _drop_postgres(name)
