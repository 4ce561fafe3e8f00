"""Shared fixtures: a data folder per test run, paper factories, snapshot files."""

from __future__ import annotations

import gzip
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["tests.fixtures"]

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def make_record() -> Callable[..., Any]:
    from dailypapers.catalog.records import PaperRecord

    counter = iter(range(10_000, 99_999))

    def make(**overrides: Any) -> PaperRecord:
        number = next(counter)
        values: dict[str, Any] = {
            "arxiv_id": f"2501.{number:05d}",
            "version": 1,
            "title": f"A study of things, part {number}",
            "abstract": "We study things. We find results.",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "categories": ["cs.LG", "stat.ML"],
        }
        values.update(overrides)
        return PaperRecord(**values)

    return make


def snapshot_line(arxiv_id: str, **overrides: Any) -> dict[str, Any]:
    """A line in the exact format of arXiv's bulk metadata snapshot."""
    line: dict[str, Any] = {
        "id": arxiv_id,
        "submitter": None,
        "authors": "Ada Lovelace and Alan Turing",
        "title": f"On the paper {arxiv_id}",
        "comments": None,
        "journal-ref": None,
        "doi": None,
        "report-no": None,
        "categories": "cs.LG stat.ML",
        "license": None,
        "abstract": "  We study things.\nWe find results.\n",
        "versions": [{"version": "v1", "created": "Mon, 6 Jan 2025 18:00:00 GMT"}],
        "update_date": "2025-01-06",
        "authors_parsed": [["Lovelace", "Ada", ""], ["Turing", "Alan", ""]],
    }
    line.update(overrides)
    return line


@pytest.fixture
def write_snapshot(tmp_path: Path) -> Callable[..., Path]:
    def write(lines: list[dict[str, Any] | str], name: str = "snapshot.jsonl") -> Path:
        path = tmp_path / name
        text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
        return path

    return write


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch_postgres(name: str) -> str:
    """Create an empty PostgreSQL database beside the test database; return its URL."""
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    params = {
        "host": db.get("HOST") or "127.0.0.1",
        "port": db.get("PORT") or 5432,
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    return f"postgres://{auth}@{params['host']}:{params['port']}/{name}"


def _drop_postgres(name: str) -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    with psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cli_env(tmp_path: Path) -> Any:
    """Environment for running `dailypapers` in a child process against a fresh, migrated
    database of the same kind as the test run's (SQLite in its own data folder, or a scratch
    PostgreSQL database)."""
    import subprocess
    import sys
    import uuid

    from django.conf import settings

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["DAILYPAPERS_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("DAILYPAPERS_FOLLOW_HF", "0")  # a test that follows HF says so
    scratch = None
    if settings.PRODUCTION:
        scratch = f"dailypapers_cli_{uuid.uuid4().hex[:8]}"
        env["DATABASE_URL"] = _scratch_postgres(scratch)
        env.setdefault("SECRET_KEY", "test-secret-key")
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
    subprocess.run([sys.executable, "-m", "dailypapers.cli", "migrate", "-v0"], env=env, check=True)
    yield env
    if scratch:
        _drop_postgres(scratch)


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> Any:
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli_process(
    env: dict[str, str], log: Path, args: list[str], ready: Callable[[], bool]
) -> Any:
    """`dailypapers ARGS` in a process group of its own, its output in ``log``; returns the
    process once ``ready()`` is true (it may raise OSError while the server is not up yet)."""
    import signal
    import subprocess
    import sys
    import time

    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            if ready():
                return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            raise AssertionError(log.read_text())
        time.sleep(0.1)


def start_serve(env: dict[str, str], log: Path, *args: str) -> Any:
    """`dailypapers serve ARGS` in a process group of its own, its output in ``log``; returns
    the process once /healthz answers 200 (the port is among ``args``)."""
    import urllib.request

    port = args[args.index("--port") + 1]

    def healthy() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:
            return bool(r.status == 200)

    return start_cli_process(env, log, ["serve", *args], healthy)
