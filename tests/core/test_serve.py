"""`dailypapers serve` on a fresh data folder: creates the database, serves, runs jobs."""

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port, start_serve


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
        return response.status, response.read().decode()


def test_serve_starts_from_nothing(tmp_path: Path):
    port = free_port()
    data = tmp_path / "fresh"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env.update({"DAILYPAPERS_DATA_DIR": str(data), "PYTHONUNBUFFERED": "1"})
    log = tmp_path / "serve.log"
    proc = start_serve(env, log, "--port", str(port))
    try:
        status, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert (status, json.loads(body)) == (200, {"ok": True})
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200
        assert "The catalogue is empty" in page
        css = page.split('href="/static/')[1].split('"')[0]
        assert _get(f"http://127.0.0.1:{port}/static/{css}")[0] == 200
        assert (data / "dailypapers.sqlite3").exists()
        assert (data / "secret_key").exists()
        deadline = time.monotonic() + 30
        while "background jobs: worker started" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert "Serving on http://127.0.0.1:" in text
    assert "Using worker: sync" in text
    assert "Traceback" not in text
    # SIGTERM to the group is a shutdown: no job process is restarted, none outlives it.
    assert "restarting" not in text
    started = [line for line in text.splitlines() if " started (pid " in line]
    pids = [int(line.rsplit("pid ", 1)[1].rstrip(")")) for line in started]
    assert len(pids) == 2
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in pids):
        assert time.monotonic() < deadline, "a job process outlived the server"
        time.sleep(0.2)


def test_threads_choose_the_worker_class():
    from dailypapers.core.management.commands.serve import gunicorn_options

    one = gunicorn_options("127.0.0.1", 8000, 4, 1)
    assert (one["worker_class"], one["workers"], one["bind"]) == ("sync", 4, "127.0.0.1:8000")
    assert gunicorn_options("localhost", 80, 2, 4)["worker_class"] == "gthread"
    assert gunicorn_options("localhost", 80, 2, 0)["threads"] == 1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waiting for its parent to read its status has stopped too
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.split(") ", 1)[1][0] != "Z"
