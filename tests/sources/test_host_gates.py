"""The per-host gates keep requests one at a time and spaced out across processes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from itertools import pairwise
from pathlib import Path

import pytest

from dailypapers.sources.http import FileStore, Gate, RedisStore

CHILD = """
import sys, time
from pathlib import Path
from dailypapers.sources.http import FileStore, Gate
gate = Gate(FileStore(Path(sys.argv[1])), float(sys.argv[2]))
for _ in range(3):
    with gate.enter("export.arxiv.org"):
        start = time.time()
        time.sleep(0.02)
        print(f"{start} {time.time()}", flush=True)
"""


def test_file_gate_holds_across_processes(tmp_path: Path):
    """Three processes, three requests each, sharing one lock file: never two at once, and
    each starts at least the interval after the one before ended."""
    interval = 0.1
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(tmp_path), str(interval)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    spans = []
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        spans += [tuple(map(float, line.split())) for line in out.splitlines()]
    spans.sort()
    assert len(spans) == 9
    for (_, end), (start, _) in pairwise(spans):
        assert start - end >= interval - 0.01


@pytest.fixture
def redis_url(tmp_path: Path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def test_redis_gate_spaces_requests_and_honours_hold_off(redis_url: str):
    """Two gates (as two machines) on one Redis; then a Retry-After pushes the next one back."""
    interval = 0.1
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def work() -> None:
        gate = Gate(RedisStore(redis_url, lock_timeout=30), interval)
        for _ in range(3):
            with gate.enter("export.arxiv.org"):
                start = time.time()
                time.sleep(0.02)
                with lock:
                    spans.append((start, time.time()))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spans.sort()
    for (_, end), (start, _) in pairwise(spans):
        assert start - end >= interval - 0.01

    gate = Gate(RedisStore(redis_url, lock_timeout=30), 0.0)
    with gate.enter("rss.arxiv.org") as slot:
        slot.hold_off(0.3)
    before = time.time()
    with gate.enter("rss.arxiv.org"):
        assert time.time() - before >= 0.28


def test_file_gate_survives_a_damaged_lock_file(tmp_path: Path):
    """Hostile input: the lock file holds garbage instead of a time."""
    lock = tmp_path / "export.arxiv.org.lock"
    lock.write_bytes(b"\xff\xfenot a number")
    gate = Gate(FileStore(tmp_path), 0.2)
    before = time.monotonic()
    with gate.enter("export.arxiv.org"):
        first = time.monotonic()
    assert first - before < 0.15  # the garbage is read as "no request yet", not as a wait
    float(lock.read_text())  # and replaced by the next allowed time
    with gate.enter("export.arxiv.org"):
        assert time.monotonic() - first >= 0.19  # spacing holds again


def test_redis_gate_survives_a_damaged_key(redis_url: str):
    """The same hostile input in Redis: the gate reads the value as the file gate does."""
    store = RedisStore(redis_url, lock_timeout=30)
    store.redis.set("dailypapers:http:export.arxiv.org:next", b"\xff\xfenot a number")
    gate = Gate(store, 0.2)
    before = time.monotonic()
    with gate.enter("export.arxiv.org"):
        first = time.monotonic()
    assert first - before < 0.15
    float(store.redis.get("dailypapers:http:export.arxiv.org:next"))
    with gate.enter("export.arxiv.org"):
        assert time.monotonic() - first >= 0.19
