"""`dailypapers mcp [--http [HOST:]PORT]`: the MCP server, over stdio or streamable HTTP."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import anyio
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dailypapers.api.mcp import build_server, http_app

log = logging.getLogger(__name__)

ADDRESS = re.compile(r"^(?:(?P<host>\[[0-9a-fA-F:]+\]|[\w.-]+):)?(?P<port>\d{1,5})$")


def parse_address(text: str) -> tuple[str, int]:
    """``[HOST:]PORT`` as (host, port); the host is 127.0.0.1 unless given."""
    match = ADDRESS.match(text)
    port = int(match["port"]) if match else 0
    if match is None or not 0 < port < 65536:
        raise CommandError(f"--http takes [HOST:]PORT, such as 8765 or 0.0.0.0:8765, not {text!r}")
    return (match["host"] or "127.0.0.1").strip("[]"), port


class Command(BaseCommand):
    help = (
        "Serve the MCP server for agents (search, paper, daily list, similar papers): over "
        "stdio, or over streamable HTTP at /mcp with --http."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--http",
            metavar="[HOST:]PORT",
            help="serve streamable HTTP at http://HOST:PORT/mcp (HOST: 127.0.0.1 by default)",
        )
        parser.add_argument("--no-migrate", action="store_true", help="skip applying migrations")

    def handle(self, *args: Any, **options: Any) -> None:
        address = parse_address(options["http"]) if options["http"] is not None else None
        if not options["no_migrate"]:
            # As `serve` does: a fresh data folder gets its database, an upgrade its changes
            # (the report goes to stderr, as every word but the protocol's).
            call_command("migrate", interactive=False, verbosity=0, stdout=sys.stderr)
        if address is None:
            # stdout carries the protocol alone: anything else goes to stderr.
            log.info("MCP server on stdio")
            anyio.run(build_server().run_stdio_async)
            return
        host, port = address
        import uvicorn

        sys.stderr.write(f"MCP server on http://{host}:{port}/mcp (Ctrl-C stops)\n")
        sys.stderr.flush()
        uvicorn.run(http_app(), host=host, port=port, log_level="info", lifespan="on")
