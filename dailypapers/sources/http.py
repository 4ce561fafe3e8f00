"""One polite HTTP client for every live source.

arXiv asks for no more than one request every three seconds and one connection at a time,
summed over all the machines of an installation. The client keeps that promise per host and
across processes (web processes, the worker and the scheduler of one installation):

* a *gate* per host serialises requests and spaces them ``HTTP_MIN_INTERVAL`` seconds apart:
  a lock file with the next allowed time in the data folder (``fcntl.flock``), or a Redis lock
  and key when ``REDIS_URL`` is set (so it holds across machines too);
* 429 and 5xx answers and network failures are retried with exponential backoff, honouring
  ``Retry-After`` (which also holds back every other process asking the same host);
* every request has a timeout, an identifying User-Agent and a cap on the size of the answer.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from dailypapers import __version__

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SourceError(Exception):
    """A source could not be read; the message says why, in words for an operator."""


class FetchError(SourceError):
    """An HTTP request failed for good (after its retries, or at once for a 4xx)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: bytes = b"",
        offline: bool = False,
        host: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.offline = offline
        """True when the host could not be reached at all (no network, DNS, refused)."""
        self.host = host


OFFLINE_NOTICE_SECONDS = 6 * 3600


def _offline_key(host: str) -> str:
    return f"sources:offline:{_safe_name(host)}"


NETWORK_KEY = "sources:offline:any"


def first_offline_notice(host: str) -> bool:
    """Whether this is the first time, across the installation's processes, that ``host``
    was found unreachable since it last answered (or in the last six hours), while no other
    host is known to be unreachable: the one time to say so as a warning. Later failures, and
    the other hosts of a machine without network (arXiv's API, its feeds, Hugging Face), are
    said at INFO, so such a machine logs "no network" once, not once per host, job and retry.
    A host that fails while the others answer is said once as a warning too."""
    from django.core.cache import cache

    if not cache.add(_offline_key(host), True, OFFLINE_NOTICE_SECONDS):
        return False
    return bool(cache.add(NETWORK_KEY, True, OFFLINE_NOTICE_SECONDS))


def _reachable(host: str) -> None:
    from django.core.cache import cache

    cache.delete_many([_offline_key(host), NETWORK_KEY])


@dataclass(slots=True)
class Response:
    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def default_user_agent() -> str:
    if settings.HTTP_USER_AGENT:
        return str(settings.HTTP_USER_AGENT)
    return f"DailyPapers/{__version__} (+{settings.SITE_URL})"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = datetime.now(UTC).timestamp() if now is None else now
    return max(0.0, when.timestamp() - current)


# --- gates: one request at a time per host, spaced out, across processes -------------------


def _safe_name(host: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", host)[:100] or "host"


class NextTime(Protocol):
    """A host's "next allowed time" as its store keeps it (text), while the store's lock on
    that host is held."""

    def read(self) -> str: ...

    def write(self, value: str) -> None: ...


class GateStore(Protocol):
    def locked(self, host: str) -> contextlib.AbstractContextManager[NextTime]:
        """Hold the host's lock (across processes, and across machines where the store is
        shared) for the block, and give its stored next allowed time to read and replace."""
        ...


class Slot:
    """The request a gate let through; it may ask to keep the host waiting afterwards."""

    def __init__(self) -> None:
        self.not_before = 0.0

    def hold_off(self, seconds: float) -> None:
        """Let no request to this host start for ``seconds`` from now (a Retry-After)."""
        self.not_before = max(self.not_before, time.time() + seconds)


class Gate:
    """One request at a time per host, each starting ``interval`` seconds (or a Retry-After)
    after the one before ended, over a store that keeps the next allowed time under a lock."""

    def __init__(
        self, store: GateStore, interval: float, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.store = store
        self.interval = interval
        self.sleep = sleep

    @contextlib.contextmanager
    def enter(self, host: str) -> Iterator[Slot]:
        with self.store.locked(host) as next_time:
            try:
                not_before = float(next_time.read() or 0.0)
            except ValueError:  # a damaged value means "no request yet", not a wait
                not_before = 0.0
            wait = not_before - time.time()
            if wait > 0:
                self.sleep(wait)
            slot = Slot()
            try:
                yield slot
            finally:
                next_time.write(f"{max(time.time() + self.interval, slot.not_before):.3f}")


class _FileTime:
    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self) -> str:
        return os.pread(self.fd, 64, 0).decode("ascii", "replace").strip()

    def write(self, value: str) -> None:
        # Padded, so a shorter time overwrites all of a longer one.
        os.pwrite(self.fd, value.ljust(32).encode(), 0)


class FileStore:
    """A lock file per host in a folder, holding its next allowed time: holds across the
    processes of one machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextlib.contextmanager
    def locked(self, host: str) -> Iterator[NextTime]:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{_safe_name(host)}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # one connection at a time, machine-wide
            yield _FileTime(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class _RedisTime:
    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key

    def read(self) -> str:
        raw = self.redis.get(self.key)
        return raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw or "")

    def write(self, value: str) -> None:
        self.redis.set(self.key, value, ex=86_400)


class RedisStore:
    """A Redis lock and "next allowed time" key per host: holds across machines."""

    def __init__(self, url: str, lock_timeout: float) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.lock_timeout = lock_timeout

    @contextlib.contextmanager
    def locked(self, host: str) -> Iterator[NextTime]:
        name = f"dailypapers:http:{_safe_name(host)}"
        lock = self.redis.lock(f"{name}:lock", timeout=self.lock_timeout)
        lock.acquire(blocking=True)
        try:
            yield _RedisTime(self.redis, f"{name}:next")
        finally:
            with contextlib.suppress(Exception):  # the lock may have expired meanwhile
                lock.release()


def default_gate(
    interval: float, timeout: float, sleep: Callable[[float], None] = time.sleep
) -> Gate:
    store: GateStore
    if settings.REDIS_URL:
        store = RedisStore(settings.REDIS_URL, lock_timeout=timeout + 30)
    else:
        store = FileStore(Path(settings.DATA_DIR) / "http")
    return Gate(store, interval, sleep=sleep)


# --- the client ----------------------------------------------------------------------------


class PoliteClient:
    """GET with politeness built in. Use one per job, as a context manager."""

    def __init__(
        self,
        *,
        min_interval: float | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        backoff: float | None = None,
        max_wait: float | None = None,
        max_bytes: int | None = None,
        user_agent: str | None = None,
        gate: Gate | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.min_interval = (
            settings.HTTP_MIN_INTERVAL if min_interval is None else float(min_interval)
        )
        self.timeout = settings.HTTP_TIMEOUT if timeout is None else float(timeout)
        self.retries = settings.HTTP_RETRIES if retries is None else int(retries)
        self.backoff = settings.HTTP_BACKOFF if backoff is None else float(backoff)
        self.max_wait = settings.HTTP_MAX_WAIT if max_wait is None else float(max_wait)
        self.max_bytes = settings.HTTP_MAX_BYTES if max_bytes is None else int(max_bytes)
        self.sleep = sleep
        self.gate = gate or default_gate(self.min_interval, self.timeout, sleep)
        # No keep-alive: the connection closes with each answer, so "one connection at a
        # time" holds across processes too (the gate is released once the answer is read).
        self.http = httpx.Client(
            headers={"User-Agent": user_agent or default_user_agent(), "Connection": "close"},
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 15.0)),
            follow_redirects=True,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=0),
        )

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _wait_for(self, attempt: int, header: str | None) -> float:
        asked = retry_after(header)
        wait = asked if asked is not None else self.backoff * (2**attempt)
        return min(wait, self.max_wait)

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        *,
        accept: str = "*/*",
        allow_status: frozenset[int] = frozenset(),
    ) -> Response:
        """The answer to a GET; raises FetchError once retries are spent or for a 4xx.

        Statuses in ``allow_status`` are returned instead of raised (some APIs explain their
        400s in the body).
        """
        host = urlsplit(url).netloc or url
        last_problem = ""
        for attempt in range(self.retries + 1):
            wait = 0.0
            with self.gate.enter(host) as slot:
                try:
                    response = self._fetch(url, params, accept)
                except httpx.TransportError as exc:
                    offline = isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol)
                    last_problem = (
                        f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    )
                    if attempt >= self.retries:
                        tries = f" after {attempt + 1} tries" if attempt else ""
                        raise FetchError(
                            f"could not reach {host}{tries} ({last_problem})",
                            offline=offline,
                            host=host,
                        ) from exc
                    wait = self._wait_for(attempt, None)
                    level = logging.DEBUG if offline else logging.WARNING
                else:
                    if response.status < 400 or response.status in allow_status:
                        _reachable(host)
                        return response
                    if response.status not in RETRY_STATUSES or attempt >= self.retries:
                        snippet = response.content[:300].decode("utf-8", "replace").strip()
                        raise FetchError(
                            f"{host} answered HTTP {response.status}"
                            + (f" after {attempt + 1} tries" if attempt else "")
                            + (f": {' '.join(snippet.split())}" if snippet else ""),
                            status=response.status,
                            body=response.content,
                            host=host,
                        )
                    wait = self._wait_for(attempt, response.headers.get("retry-after"))
                    last_problem = f"HTTP {response.status}"
                    level = logging.WARNING
                    slot.hold_off(wait)
            # An unreachable host (no network) is said once, by the job that gave up on it.
            log.log(
                level,
                "%s: %s; trying again in %.1f s (try %d of %d)",
                host,
                last_problem,
                wait,
                attempt + 2,
                self.retries + 1,
            )
            if wait > 0:
                self.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(self, url: str, params: Mapping[str, Any] | None, accept: str) -> Response:
        with self.http.stream("GET", url, params=params, headers={"Accept": accept}) as stream:
            declared = stream.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(
                    f"{stream.url.host} sent {int(declared):,} bytes, more than the "
                    f"{self.max_bytes:,} allowed (DAILYPAPERS_HTTP_MAX_BYTES)",
                    status=stream.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in stream.iter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(
                        f"{stream.url.host} sent more than the {self.max_bytes:,} bytes allowed "
                        "(DAILYPAPERS_HTTP_MAX_BYTES)",
                        status=stream.status_code,
                    )
                chunks.append(chunk)
            return Response(
                url=str(stream.url),
                status=stream.status_code,
                headers=dict(stream.headers),
                content=b"".join(chunks),
            )
