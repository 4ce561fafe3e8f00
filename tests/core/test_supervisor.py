"""Children kept running beside the web server: real processes that crash, are restarted
with back-off, and stop with the server."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dailypapers.core.supervisor import Backoff, Child, supervised
from tests.conftest import REPO


def _starts(log: Path, count: int, timeout: float = 30) -> list[float]:
    """The first ``count`` start times a child wrote (its own clock, seconds), waiting for
    them."""
    deadline = time.monotonic() + timeout
    while True:
        lines = log.read_text().split() if log.exists() else []
        if len(lines) >= count:
            return [float(line) for line in lines[:count]]
        assert time.monotonic() < deadline, f"only {len(lines)} starts: {lines}"
        time.sleep(0.05)


def _stamp(log: Path, then: str) -> list[str]:
    """A shell child that writes when it started, then does ``then``."""
    return ["sh", "-c", f'date +%s.%N >> "{log}"; {then}']


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def test_backoff_doubles_up_to_its_most_and_starts_again_after_a_steady_run():
    backoff = Backoff(first=1, most=5, steady=60)
    delays = []
    delay = None
    for _ in range(5):
        delay = backoff.next(delay, ran=0.1)
        delays.append(delay)
    assert delays == [1, 2, 4, 5, 5]
    assert backoff.next(5, ran=61) == 1


def test_a_crashing_child_is_restarted_with_growing_waits(tmp_path: Path):
    log = tmp_path / "starts"
    child = Child("crasher", _stamp(log, "exit 3"), Backoff(first=0.2, most=0.8, steady=60))
    with supervised([child]):
        starts = _starts(log, 5)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # Each wait at least the back-off's (the start itself only adds to it): 0.2, 0.4, 0.8, 0.8.
    for gap, wait in zip(gaps, [0.2, 0.4, 0.8, 0.8], strict=True):
        assert gap >= wait - 0.05, gaps
    assert gaps[2] > gaps[0] + 0.3, gaps


def test_a_child_that_ran_steadily_is_restarted_after_the_first_wait(tmp_path: Path):
    log = tmp_path / "starts"
    child = Child(
        "steady", _stamp(log, "sleep 0.5; exit 1"), Backoff(first=0.2, most=30, steady=0.3)
    )
    with supervised([child]):
        starts = _starts(log, 4)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # 0.5 s of run and 0.2 s of wait each time; doubling would have made the third 0.5 + 0.8.
    assert all(0.65 <= gap < 1.25 for gap in gaps), gaps


@pytest.mark.parametrize("ending", ["exit 0", "kill -TERM $$"])
def test_a_child_that_stopped_or_was_told_to_is_not_restarted(tmp_path: Path, ending: str):
    log = tmp_path / "starts"
    child = Child("once", _stamp(log, ending), Backoff(first=0.05, most=0.05, steady=60))
    with supervised([child]):
        _starts(log, 1)
        assert child.process is not None
        child.process.wait(timeout=10)
        time.sleep(0.5)  # five back-offs
    assert len(log.read_text().split()) == 1


def test_leaving_the_block_stops_every_child_and_no_restart_follows(tmp_path: Path):
    logs = [tmp_path / "a", tmp_path / "b"]
    children = [Child(log.name, _stamp(log, "exec sleep 60"), stop_timeout=5) for log in logs]
    with supervised(children):
        for log in logs:
            _starts(log, 1)
        pids = [child.process.pid for child in children if child.process]
    assert not any(_alive(pid) for pid in pids)
    time.sleep(0.3)
    assert [len(log.read_text().split()) for log in logs] == [1, 1]


PARENT = """
import signal, sys
from dailypapers.core.supervisor import Child, supervised

def _exit(signum, frame):
    sys.exit(0)

signal.signal(signal.SIGTERM, _exit)
children = [
    Child("sleeper", ["sleep", "60"]),
    # One that ignores SIGTERM: killed once its stop_timeout has passed.
    Child("stubborn", ["sh", "-c", "trap '' TERM; exec sleep 60"], stop_timeout=1),
]
with supervised(children):
    print(*(child.process.pid for child in children), flush=True)
    while True:
        signal.pause()
"""


def test_sigterm_to_the_parent_alone_stops_all_its_children(tmp_path: Path):
    """As a service manager stops a service: SIGTERM to its main process only (its own
    session here, so no signal reaches the children from the terminal's process group)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert parent.stdout is not None
        pids = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(pid) for pid in pids)
        stubborn = Path(f"/proc/{pids[1]}/cmdline")
        deadline = time.monotonic() + 10
        while not stubborn.read_bytes().startswith(b"sleep"):  # its trap is set
            assert time.monotonic() < deadline
            time.sleep(0.05)
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=20) == 0, parent.stderr.read() if parent.stderr else ""
    finally:
        if parent.poll() is None:
            parent.kill()
    assert not any(_alive(pid) for pid in pids)
    errors = parent.stderr.read() if parent.stderr else ""
    assert "stubborn did not stop in time; killing it" in errors
    assert "restarting" not in errors
