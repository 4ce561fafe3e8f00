"""The MCP server's streamable-HTTP ASGI app, for an ASGI server of the operator's choice:
``uvicorn dailypapers.mcp_asgi:application`` answers at ``/mcp`` (docs/api.md)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
django.setup()

from dailypapers.api.mcp import http_app  # noqa: E402 (needs Django set up)

application = http_app()
