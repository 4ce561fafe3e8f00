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
