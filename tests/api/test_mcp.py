"""The MCP server, driven by the SDK's own client: the real `dailypapers mcp` process over
stdio, and its streamable HTTP transport on a loopback port, against a data folder filled
through the operator's verbs (ingest, index, feature)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import (
    REPO,
    _drop_postgres,
    _scratch_postgres,
    free_port,
    run_cli,
    snapshot_line,
    start_cli_process,
)

pytestmark = pytest.mark.slow

TOOLS = {"search", "paper", "daily", "similar"}
TOPICS = [
    ("Quantum error correction with surface codes", "quant-ph"),
    ("Graph neural networks for molecule property prediction", "cs.LG"),
    ("Quantum error correction thresholds for surface codes", "quant-ph"),
    ("Diffusion models for image synthesis", "cs.CV"),
]


@pytest.fixture(scope="module")
def mcp_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A data folder (a scratch database of the test run's kind) with five papers, one of
    them old-style, indexed, three featured on two days: made once for the module through
    the operator's verbs."""
    from django.conf import settings

    folder = tmp_path_factory.mktemp("mcp")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DAILYPAPERS_DATA_DIR=str(folder / "data"),
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO),
        DAILYPAPERS_SEARCH_EMBEDDER="tests.papersearch.conftest.WordEmbedder",
        DAILYPAPERS_SEARCH_WARM_UP="false",
    )
    scratch = None
    if settings.PRODUCTION:
        scratch = f"dailypapers_mcp_{uuid.uuid4().hex[:8]}"
        env["DATABASE_URL"] = _scratch_postgres(scratch)
        env.setdefault("SECRET_KEY", "test-secret-key")
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
    lines = [
        snapshot_line(
            f"2501.{i:05d}",
            title=title,
            categories=category,
            abstract=f"We study {title.lower()}.",
            comments="Code at https://github.com/example/code" if i == 1 else None,
        )
        for i, (title, category) in enumerate(TOPICS, start=1)
    ]
    lines.append(
        snapshot_line("hep-th/9901001", title="Strings with an old-style id", categories="hep-th")
    )
    snapshot = folder / "snapshot.jsonl"
    snapshot.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for args in (
        ("migrate", "-v0"),
        ("ingest", "snapshot", str(snapshot)),
        ("index",),
        ("feature", "2501.00001", "--date", "2025-01-06"),
        ("feature", "hep-th/9901001", "--date", "2025-01-06"),
        ("feature", "2501.00002", "--date", "2025-01-03"),
    ):
        result = run_cli(env, *args)
        assert result.returncode == 0, (args, result.stderr)
    yield env
    if scratch:
        _drop_postgres(scratch)


async def exercise(session: ClientSession) -> None:
    """List the tools and call each, well and badly."""
    await session.initialize()
    listed = await session.list_tools()
    assert {t.name for t in listed.tools} == TOOLS
    for tool in listed.tools:
        assert tool.description and tool.output_schema, tool.name
        assert tool.annotations is not None and tool.annotations.read_only_hint

    found = await session.call_tool("search", {"query": "quantum error correction", "limit": 5})
    assert not found.is_error, found.content
    ids = [r["id"] for r in found.structured_content["results"]]
    assert ids[:2] == ["2501.00001", "2501.00003"] or ids[:2] == ["2501.00003", "2501.00001"]
    assert "2501.00001" in found.content[0].text and "papers match" in found.content[0].text

    filtered = await session.call_tool(
        "search",
        {"query": "", "categories": ["cs.LG"], "date_from": "2025-01-01", "sort": "date"},
    )
    assert [r["id"] for r in filtered.structured_content["results"]] == ["2501.00002"]
    voted = await session.call_tool("search", {"query": "surface codes", "sort": "votes"})
    assert not voted.is_error

    paper = await session.call_tool("paper", {"arxiv_id": "https://arxiv.org/abs/2501.00001v1"})
    assert not paper.is_error, paper.content
    info = paper.structured_content
    assert info["id"] == "2501.00001" and info["title"] == TOPICS[0][0]
    assert info["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert info["featured"]["day"] == "2025-01-06"
    assert info["links"]["abs"] == "https://arxiv.org/abs/2501.00001"
    assert info["links"]["code"] == "https://github.com/example/code"
    assert (info["upvotes"], info["comment_count"]) == (0, 0)
    assert "We study quantum error correction" in paper.content[0].text
    old = await session.call_tool("paper", {"arxiv_id": "hep-th/9901001"})
    assert old.structured_content["id"] == "hep-th/9901001"

    latest = await session.call_tool("daily", {})
    assert latest.structured_content["day"] == "2025-01-06"
    assert {p["id"] for p in latest.structured_content["papers"]} == {
        "2501.00001",
        "hep-th/9901001",
    }
    assert latest.structured_content["previous_day"] == "2025-01-03"
    earlier = await session.call_tool("daily", {"date": "2025-01-03"})
    assert [p["id"] for p in earlier.structured_content["papers"]] == ["2501.00002"]
    empty = await session.call_tool("daily", {"date": "2024-02-29"})
    assert not empty.is_error and empty.structured_content["papers"] == []

    near = await session.call_tool("similar", {"arxiv_id": "2501.00001", "limit": 2})
    assert not near.is_error, near.content
    assert near.structured_content["results"][0]["id"] == "2501.00003"

    bad: list[tuple[str, dict[str, Any], str]] = [
        ("paper", {"arxiv_id": "2501.99999"}, "no paper 2501.99999"),
        ("paper", {"arxiv_id": "not an id"}, "is not an arXiv id"),
        ("paper", {"arxiv_id": "2501.0\x000001"}, "NUL"),
        ("paper", {"arxiv_id": "x" * 5000}, "at most 200"),
        ("paper", {}, "arxiv_id"),
        ("similar", {"arxiv_id": "2501.99999"}, "no paper"),
        ("similar", {"arxiv_id": "2501.00001", "limit": 0}, "greater than or equal"),
        ("daily", {"date": "2025-13-45"}, "YYYY-MM-DD"),
        ("daily", {"date": "yesterday"}, "YYYY-MM-DD"),
        ("daily", {"date": "2025-01-06\x00"}, "NUL"),
        ("search", {"query": "a\x00b"}, "NUL"),
        ("search", {"query": "x" * 251}, "at most 250"),
        ("search", {"query": "x", "date_to": "2025-02-30"}, "YYYY-MM-DD"),
        ("search", {"query": "x", "categories": ["<script>"]}, "not an arXiv category"),
        ("search", {"query": "x", "limit": "many"}, "limit"),
        ("search", {"query": "x", "sort": "random"}, "sort"),
        ("search", {"query": ["not", "text"]}, "query"),
        ("nonesuch", {}, "nonesuch"),
    ]
    for name, arguments, words in bad:
        result = await session.call_tool(name, arguments)
        assert result.is_error, (name, arguments)
        text = result.content[0].text
        assert words in text, (name, text)
        assert "Traceback" not in text
    hostile = await session.call_tool("search", {"query": "<script>alert(1)</script> ' OR 1=1"})
    assert not hostile.is_error
    assert (await session.call_tool("search", {"query": "still answering"})).is_error is False


def run(client: Callable[[], Any], body: Callable[[ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        async with client() as (read, write), ClientSession(read, write) as session:
            with anyio.fail_after(120):
                await body(session)

    # in a thread of its own: the browser tests' Playwright (sync API) keeps an event loop
    # running in the main thread for the whole session
    failures: list[BaseException] = []

    def in_thread() -> None:
        try:
            anyio.run(main)
        except BaseException as exc:  # handed back to the test
            failures.append(exc)

    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    if failures:
        raise failures[0]


def test_stdio_server_answers_every_tool(mcp_env, tmp_path):
    errors = tmp_path / "stderr.log"
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "dailypapers.cli", "mcp"], env=mcp_env
    )
    with errors.open("w") as errlog:
        run(lambda: stdio_client(params, errlog=errlog), exercise)
    assert "Traceback" not in errors.read_text()


def test_stdio_server_migrates_a_fresh_folder_and_keeps_stdout_to_the_protocol(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DAILYPAPERS_DATA_DIR=str(tmp_path / "fresh"), PYTHONPATH=str(REPO))
    hello = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    done = subprocess.run(
        [sys.executable, "-m", "dailypapers.cli", "mcp"],
        input=json.dumps(hello) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert lines, done.stderr
    for line in lines:  # every line on stdout is a JSON-RPC message
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert json.loads(lines[0])["result"]["serverInfo"]["name"] == "dailypapers"
    assert (tmp_path / "fresh" / "dailypapers.sqlite3").exists()

    async def daily(session: ClientSession) -> None:
        await session.initialize()
        answer = await session.call_tool("daily", {})
        assert not answer.is_error and answer.structured_content["day"] is None
        assert "No papers" in answer.content[0].text

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "dailypapers.cli", "mcp"], env=env
    )
    run(lambda: stdio_client(params), daily)


def start_http(env: dict[str, str], log: Path, address: str, port: int) -> subprocess.Popen[bytes]:
    def answering() -> bool:  # any answer: the transport is up
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=2)
        except httpx.TransportError as exc:
            raise OSError(str(exc)) from exc
        return True

    proc: subprocess.Popen[bytes] = start_cli_process(
        env, log, ["mcp", "--http", address], answering
    )
    return proc


def test_http_transport_answers_every_tool(mcp_env, tmp_path):
    port = free_port()
    log = tmp_path / "http.log"
    proc = start_http(mcp_env, log, f"127.0.0.1:{port}", port)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        run(lambda: streamable_http_client(url), exercise)
        # DNS rebinding: a Host the site does not serve is refused.
        foreign = httpx.post(
            url,
            headers={"Host": "evil.example", "Content-Type": "application/json"},
            content=b"{}",
        )
        assert foreign.status_code in {400, 421}
        garbage = httpx.post(
            url,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            content=b"\x00{not json",
        )
        assert 400 <= garbage.status_code < 500
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert "Traceback" not in log.read_text()


def test_bad_http_address_is_one_line(mcp_env):
    for address in ("localhost:99999", "x:y"):
        result = run_cli(mcp_env, "mcp", "--no-migrate", "--http", address)
        assert result.returncode != 0
        assert "--http takes [HOST:]PORT" in result.stderr
        assert "Traceback" not in result.stderr
