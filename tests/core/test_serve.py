"""`dailypapers serve` on a fresh data folder: creates the database, serves, runs jobs."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import free_port


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
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
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
    assert "Traceback" not in text
