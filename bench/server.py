"""The web server the load benchmarks measure: `dailypapers serve` (gunicorn) on a free loopback
port, in a process group of its own, with the benchmark settings (the site's, plus the trivial
view /hello of bench/web_urls.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_server(
    *, workers: int, threads: int, env: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[int]:
    """Serve the site with ``workers`` x ``threads`` (no background jobs) and yield its port
    once /healthz answers; ``env`` adds to (or overrides) the benchmark's environment. The
    server is stopped on the way out."""
    port = free_port()
    server_env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        **(env or {}),
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "dailypapers.cli", "serve", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads), "--no-jobs",
        ],
        env=server_env,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.5)
        yield port
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
