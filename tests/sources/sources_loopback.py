"""A real HTTP server on loopback that plays arXiv and Hugging Face, from hand-written
fixtures (the fixtures that start it are in conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).parent / "fixtures"

ATOM = "application/atom+xml; charset=utf-8"
XML = "text/xml; charset=utf-8"
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = XML
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Route = Callable[[dict[str, str]], Reply]


class Loopback:
    """Routes by path; each route is a queue of replies (the last one repeats) or a function
    of the query. Every request is recorded in ``seen``."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Route] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.base = ""

    def url(self, path: str = "") -> str:
        return f"{self.base}{path}"

    def reply(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def route(self, path: str, function: Route) -> None:
        self.routes[path] = function

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def answer(self, path: str, query: dict[str, str]) -> Reply:
        with self.lock:
            route = self.routes.get(path)
            if route is None:
                return Reply(404, b"<html><body>Not found</body></html>", HTML)
            if callable(route):
                return route(query)
            return route.pop(0) if len(route) > 1 else route[0]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        app = self.server.app
        headers = {k.lower(): v for k, v in self.headers.items()}
        with app.lock:
            app.seen.append(Seen(parts.path, query, headers))
        reply = app.answer(parts.path, query)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    app: Loopback
    daemon_threads = True
