"""Web speed: the daily page, the trending page and a paper page under load, beside a trivial
Django view, all served by the production web server (`dailypapers serve`, gunicorn) in the
same run.

    # once: the 142k catalogue and a featured community
    export DAILYPAPERS_DATA_DIR=/tmp/dpbench
    dailypapers migrate && dailypapers ingest snapshot ../shared/data/arxiv-cc0-142k.jsonl.gz
    python bench/seed_community.py --days 200 --papers 2000 --votes 50000
    # then
    python bench/web_speed.py --workers 4 --clients 50 --seconds 15

The load comes from a second process on loopback holding CLIENTS keep-alive connections, each
sending its next request as soon as the last answer is read: wrk (Debian's package; one
thread, written in C, so the server keeps nearly all of the machine) when it is installed,
else an asyncio client in this file (set WEB_SPEED_PYTHON_CLIENT=1 to use it anyway).
Target: each page at least 50% of the trivial view's requests/second, p99 under 50 ms.
``--threads 1`` (the default here and of ``serve``) runs gunicorn's sync workers; more
threads run its gthread workers (docs/configuration.md compares the two)."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import start_server


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Reads one answer: its status, and whether the server closes the connection after it."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return int(head.split(b" ", 2)[1]), b"connection: close" in head.lower()


def _summary(latencies: list[float], elapsed: float, errors: list[int]) -> dict[str, float]:
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "errors": sum(errors),
    }


async def _client(port: int, path: str, until: float, latencies: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    errors = 0
    while time.perf_counter() < until:
        start = time.perf_counter()
        writer.write(request)
        status, closed = await _answer(reader)
        if status != 200:
            errors += 1
        latencies.append(time.perf_counter() - start)
        if closed:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    return errors


async def _load(port: int, path: str, clients: int, seconds: float) -> dict[str, float]:
    latencies: list[float] = []
    start = time.perf_counter()
    until = start + seconds
    errors = await asyncio.gather(*(_client(port, path, until, latencies) for _ in range(clients)))
    return _summary(latencies, time.perf_counter() - start, errors)


async def _paced_client(
    port: int,
    next_path: Callable[[], str],
    sends: list[float],
    latencies: list[float],
) -> int:
    """Sends one request at each time of ``sends`` (or as soon as the last answer is read,
    when late), each for the path ``next_path`` gives; a latency counts from the time the request
    was due, so a server that falls behind is charged for the wait (no coordinated
    omission)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    for due in sends:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        path = next_path()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        status, closed = await _answer(reader)
        if status != 200:
            errors += 1
        latencies.append(time.perf_counter() - due)
        if closed:
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    return errors


async def _load_rate(
    port: int, paths: list[str], clients: int, seconds: float, rate: float
) -> dict[str, float]:
    """``clients`` connections offering ``rate`` requests a second between them, evenly
    spaced, whatever the answers' speed (an open loop, as readers who each search now and
    then, unlike wrk's closed loop, where the load waits for the server)."""
    latencies: list[float] = []
    start = time.perf_counter() + 0.05
    every = 1 / rate
    total = max(clients, round(seconds * rate))
    schedules = [[start + n * every for n in range(c, total, clients)] for c in range(clients)]
    cycle = itertools.cycle(paths)
    errors = await asyncio.gather(
        *(_paced_client(port, cycle.__next__, sends, latencies) for sends in schedules)
    )
    return _summary(latencies, time.perf_counter() - start, errors)


def _run_rate(
    args: tuple[int, list[str], int, float, float],
    queue: multiprocessing.Queue,  # type: ignore[type-arg]
) -> None:
    queue.put(asyncio.run(_load_rate(*args)))


def load_rate(
    port: int, paths: list[str], clients: int, seconds: float, rate: float
) -> dict[str, float]:
    """An offered load of ``rate`` requests a second from ``clients`` connections (cycling
    through ``paths``), from a second process; p50 and p99 count from when each request was
    due."""
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    args = (port, paths, clients, seconds, rate)
    proc = multiprocessing.Process(target=_run_rate, args=(args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def _run_load(args: tuple[int, str, int, float], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(asyncio.run(_load(*args)))


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number = re.match(r"[\d.]+", text)
    unit = text[number.end() :] if number else ""
    return float(number.group()) * _UNITS[unit] if number else float("nan")


def load_wrk(
    port: int, path: str, clients: int, seconds: float, script: str | None = None
) -> dict[str, float]:
    """wrk (C, one thread, keep-alive connections): a load generator that leaves the server
    almost all of the machine. ``script``: a Lua file that picks each request's path."""
    out = subprocess.run(
        [
            "wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--latency",
            *(["-s", script] if script else []), f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    # "Latency Distribution" lines ("     99%   12.34ms"); absent when no request finished
    found = dict(re.findall(r"^\s*(50|99)(?:\.0+)?%\s+(\S+)\s*$", out, re.M))
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)$", out, re.M)
    return {
        "requests": requests,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(found.get("50", "")),
        "p99_ms": _ms(found.get("99", "")),
        "errors": (int(non_ok.group(1)) if non_ok else 0)
        + (sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0),
    }


def load(port: int, path: str, clients: int, seconds: float) -> dict[str, float]:
    """The load generator runs in a second process: wrk when it is installed (Debian's
    ``wrk``), else the asyncio client of this file."""
    if shutil.which("wrk") and not os.environ.get("WEB_SPEED_PYTHON_CLIENT"):
        return load_wrk(port, path, clients, seconds)
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=_run_load, args=((port, path, clients, seconds), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    # These pages embed no query: loading the model in every worker as it starts would only
    # take CPU from the first measurement.
    with start_server(
        workers=args.workers, threads=args.threads, env={"DAILYPAPERS_SEARCH_WARM_UP": "false"}
    ) as port:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
        import django

        django.setup()
        from dailypapers.community.lists import latest_day, trending_entries

        day = latest_day()
        top = trending_entries(1)
        if day is None or not top:
            raise SystemExit("no featured papers: run bench/seed_community.py first")
        pages = {
            "trivial view": "/hello",
            "daily page": f"/papers/date/{day.isoformat()}",
            "trending page": "/papers/trending",
            "paper page": f"/papers/{top[0].paper.arxiv_id}",
        }
        results = {}
        for name, path in pages.items():
            load(port, path, args.clients, args.warmup)
            results[name] = load(port, path, args.clients, args.seconds)
        base = results["trivial view"]["rps"]
        generator = "wrk" if shutil.which("wrk") else "the asyncio client"
        print(
            f"{args.workers} workers x {args.threads} threads, {args.clients} clients "
            f"({generator}), {args.seconds:.0f} s per page, on {os.cpu_count()} CPUs"
        )
        print(
            f"{'page':<14} {'req/s':>8} {'of trivial':>10} "
            f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
        )
        for name, r in results.items():
            print(
                f"{name:<14} {r['rps']:>8.0f} {r['rps'] / base:>10.0%} "
                f"{r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6.0f}"
            )
        print(json.dumps({"pages": pages, "results": results}))


if __name__ == "__main__":
    main()
