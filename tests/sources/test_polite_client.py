"""The polite HTTP client against a real server on loopback: retries, waits, limits."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from dailypapers.sources.http import FetchError, FileStore, Gate, PoliteClient, retry_after
from tests.sources.sources_loopback import HTML, Reply


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_429_then_success_waits_as_told(sources, settings):
    """Hostile input: 429 Too Many Requests with Retry-After: 7, then a normal answer."""
    settings.HTTP_MAX_WAIT = 30.0
    sources.reply("/x", Reply(429, b"slow down", headers={"Retry-After": "7"}), Reply(200, b"ok"))
    sleeps = Sleeps()
    with PoliteClient(sleep=sleeps) as client:
        response = client.get(sources.url("/x"))
    assert response.content == b"ok"
    assert len(sources.requests_to("/x")) == 2
    assert 7.0 in sleeps.calls  # Retry-After honoured


def test_retry_after_is_capped_and_shared_with_other_processes(sources, settings, tmp_path):
    """Hostile input: 503 with Retry-After of a whole day; the wait is capped by
    HTTP_MAX_WAIT, and the lock file holds back other processes for that long."""
    settings.HTTP_MAX_WAIT = 0.3
    sources.reply("/busy", Reply(503, b"", headers={"Retry-After": "86400"}), Reply(200, b"ok"))
    started = time.monotonic()
    with PoliteClient() as client:
        assert client.get(sources.url("/busy")).content == b"ok"
    assert time.monotonic() - started >= 0.3


def test_retry_after_as_http_date():
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after("soon") is None
    assert retry_after(None) is None


def test_server_errors_until_retries_run_out_give_a_clear_error(sources):
    """Hostile input: 500 on every try."""
    sources.reply("/down", Reply(500, b"Internal Server Error"))
    with PoliteClient() as client, pytest.raises(FetchError) as caught:
        client.get(sources.url("/down"))
    assert "HTTP 500 after 4 tries" in str(caught.value)
    assert len(sources.requests_to("/down")) == 4


def test_not_found_is_not_retried(sources):
    """Hostile input: a 404 (HTML page) for a wrong URL setting."""
    sources.reply("/missing", Reply(404, b"<html>Not here</html>", HTML))
    with PoliteClient() as client, pytest.raises(FetchError) as caught:
        client.get(sources.url("/missing"))
    assert caught.value.status == 404
    assert len(sources.requests_to("/missing")) == 1


def test_user_agent_identifies_the_installation(sources, settings):
    settings.SITE_URL = "https://papers.example.org"
    sources.reply("/ua", Reply(200, b"ok"))
    with PoliteClient() as client:
        client.get(sources.url("/ua"))
    headers = sources.requests_to("/ua")[0].headers
    assert headers["user-agent"].startswith("DailyPapers/")
    assert "papers.example.org" in headers["user-agent"]
    assert headers["connection"] == "close"  # no idle connection left open between requests


def test_answers_larger_than_the_cap_are_refused(sources, settings):
    """Hostile input: a 2 MB answer with a 1 MB cap."""
    settings.HTTP_MAX_BYTES = 1024 * 1024
    sources.reply("/big", Reply(200, b"x" * (2 * 1024 * 1024)))
    with PoliteClient() as client, pytest.raises(FetchError, match="more than the"):
        client.get(sources.url("/big"))


def test_unreachable_host_is_reported_as_offline(sources):
    """Hostile input: nothing listens on the port (no network)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with PoliteClient(retries=1) as client, pytest.raises(FetchError) as caught:
        client.get(f"http://127.0.0.1:{port}/")
    assert caught.value.offline
    assert "could not reach" in str(caught.value)


def test_requests_to_one_host_are_spaced_across_clients(sources, tmp_path):
    """Two clients (as two processes would) share the lock file: one request at a time, at
    least the minimum interval apart."""
    sources.reply("/t", Reply(200, b"ok"))
    interval = 0.25
    done: list[float] = []

    def fetch() -> None:
        with PoliteClient(gate=Gate(FileStore(tmp_path / "gates"), interval)) as client:
            for _ in range(2):
                client.get(sources.url("/t"))
                done.append(time.monotonic())

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sources.requests_to("/t")) == 4
    assert done[-1] - started >= 3 * interval  # four requests, three gaps
